import { execFile } from 'node:child_process';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const compiled = require('../../bin/compiled-cli.cjs') as {
  OUT_FILE: string;
  OUT_DIR: string;
  build(): Promise<string>;
  staleness(file?: string): string | undefined;
  readRecord(file?: string): { startedAt: number; inputs: string[] } | undefined;
};

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A copy of the bundle whose build record says `record` (the code after the first line is kept). */
async function withRecord(dir: string, record: unknown): Promise<string> {
  const text = readFileSync(compiled.OUT_FILE, 'utf8');
  const file = path.join(dir, 'cli.mjs');
  await fs.writeFile(file, `// lamina-compiled ${JSON.stringify(record)}\n${text.slice(text.indexOf('\n') + 1)}`);
  return file;
}

describe('the compiled CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(tmpdir(), 'lamina-compiled-'));
    // Jest's global set-up compiled it; a source changed since then (another engineer's edit) is rebuilt here.
    if (compiled.staleness()) await compiled.build();
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('is what bin/lamina.cjs runs, with nothing transpiled (it refuses to fall back when told so)', async () => {
    const result = await run(process.execPath, [path.join(ROOT, 'bin', 'lamina.cjs'), '--help'], {
      env: { LAMINA_CLI_REQUIRE_COMPILED: '1', LAMINA_CLI_TRACE: '1' },
    });
    expect(result.stderr).toContain(`lamina: running ${compiled.OUT_FILE}`);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: lamina <command>/m);
    // The TypeScript loader is not even loaded.
    const probe = await run(process.execPath, [
      '-e',
      `process.argv=[process.argv[0],'lamina','--help'];require(${JSON.stringify(path.join(ROOT, 'bin', 'lamina.cjs'))});process.on('exit',()=>{process.stderr.write('tsx:'+Object.keys(require.cache).some(k=>k.includes('/node_modules/tsx/')))})`,
    ]);
    expect(probe.stderr).toContain('tsx:false');
  });

  it('answers --help from the entry alone: no command module, no npm package is loaded', async () => {
    // What --help evaluates: the entry and the chunks it imports statically (a command's chunks load at `import()`).
    const loaded = new Set<string>();
    const visit = (file: string) => {
      if (loaded.has(file)) return;
      loaded.add(file);
      for (const match of readFileSync(file, 'utf8').matchAll(/^import\s+(?:[^'"]*?\s+from\s+)?"(\.\/[^"]+\.mjs)";?$/gm)) visit(path.join(path.dirname(file), match[1]));
    };
    visit(compiled.OUT_FILE);
    // esbuild heads each bundled module with a comment naming its source file.
    const modules = [...loaded].flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/^\/\/ ((?:local|functions|schema|statemachine|node_modules|\.\.)\/\S+)$/gm)].map((m) => m[1]));
    expect(modules).toEqual(expect.arrayContaining(['local/cli.ts', 'local/commands/index.ts']));
    expect(modules.filter((name) => /^local\/commands\/(?!index\.ts|command\.ts)/.test(name) || name.includes('node_modules/'))).toEqual([]);
    // Every command's code is outside that set, and a command runs from its own chunk.
    const all = readdirSync(compiled.OUT_DIR).filter((name) => name.endsWith('.mjs'));
    expect(all.length).toBeGreaterThan(loaded.size);
    // At run time: no npm package is required (the stand-ins load theirs on first use).
    const probe = await run(process.execPath, [
      '-e',
      `process.argv=[process.argv[0],'lamina','--help'];require(${JSON.stringify(path.join(ROOT, 'bin', 'lamina.cjs'))});process.on('exit',()=>{process.stderr.write('packages:'+JSON.stringify(Object.keys(require.cache).filter(k=>k.includes('/node_modules/'))))})`,
    ]);
    expect(probe.code).toBe(0);
    expect(probe.stderr).toContain('packages:[]');
  });

  it('runs each command from the compiled chunks, with the errors of the shared code recognised (exit 2 for bad input)', async () => {
    const usage = await run(process.execPath, [path.join(ROOT, 'bin', 'lamina.cjs'), 'build', '--no-such-option'], { env: { LAMINA_CLI_REQUIRE_COMPILED: '1' } });
    expect(usage.stderr).toMatch(/^lamina build: .*--no-such-option/m);
    expect(usage.code).toBe(2);
    // A LaminaError subclass thrown in a command's chunk, judged by the entry's error handling: one class across chunks.
    const catalog = path.join(dir, 'bad-catalog.yaml');
    await fs.writeFile(catalog, 'layers: [1]\n');
    const bad = await run(process.execPath, [path.join(ROOT, 'bin', 'lamina.cjs'), 'build', 'x', '--catalog', catalog], { env: { LAMINA_CLI_REQUIRE_COMPILED: '1' } });
    expect(bad.stderr).toMatch(/^lamina build: \S*bad-catalog\.yaml is not a valid catalog/m);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    expect(bad.code).toBe(2);
    const schema = await run(process.execPath, [path.join(ROOT, 'bin', 'lamina.cjs'), 'schema', '--print'], { env: { LAMINA_CLI_REQUIRE_COMPILED: '1' } });
    expect(schema.code).toBe(0);
    expect(JSON.parse(schema.stdout)).toMatchObject({ type: 'object' });
  });

  it('records every source it was made of, and counts as stale once any of them is newer than its build', async () => {
    const record = compiled.readRecord()!;
    expect(record.inputs).toEqual(expect.arrayContaining(['local/cli.ts', 'local/commands/index.ts', 'functions/layers/kinds.ts', 'package-lock.json']));
    expect(compiled.staleness(await withRecord(dir, { startedAt: Date.now() + 3_600_000, inputs: record.inputs }))).toBeUndefined();
    expect(compiled.staleness(await withRecord(dir, { startedAt: 0, inputs: record.inputs }))).toMatch(/ changed$/);
    expect(compiled.staleness(await withRecord(dir, { startedAt: Date.now() + 3_600_000, inputs: [...record.inputs, 'local/removed-file.ts'] }))).toBe('local/removed-file.ts is gone');
    await fs.writeFile(path.join(dir, 'garbage.cjs'), 'module.exports = {};\n');
    expect(compiled.staleness(path.join(dir, 'garbage.cjs'))).toBe('missing');
  });

  it('is built by `npm ci` on a clean clone: this npm runs the root `prepare` script, and `prepare` compiles the CLI', async () => {
    // npm's side, on an empty project (no registry needed): `npm ci` runs the root package's `prepare`.
    const probe = path.join(dir, 'probe');
    await fs.mkdir(probe);
    await fs.writeFile(
      path.join(probe, 'package.json'),
      JSON.stringify({ name: 'probe', version: '1.0.0', private: true, scripts: { prepare: `node -e "require('fs').writeFileSync('prepared', process.env.npm_lifecycle_event)"` } }),
    );
    await fs.writeFile(
      path.join(probe, 'package-lock.json'),
      JSON.stringify({ name: 'probe', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'probe', version: '1.0.0' } } }),
    );
    const ci = await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: probe });
    expect(ci.code).toBe(0);
    expect(readFileSync(path.join(probe, 'prepared'), 'utf8')).toBe('prepare');
    // lamina's side: its `prepare` script leaves an up-to-date bundle behind.
    const before = compiled.readRecord()!.startedAt;
    const prepare = await run('npm', ['run', 'prepare', '--silent']);
    expect(prepare.code).toBe(0);
    expect(compiled.readRecord()!.startedAt).toBeGreaterThan(before);
    expect(compiled.staleness()).toBeUndefined();
  });
});
