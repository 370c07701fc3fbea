/**
 * `npm run bench:python`: whole process against whole process, on wheels shaped like real ones (thousands of small
 * sources, `.so` files of realistic sizes), served from one local index on 127.0.0.1:
 *
 *   lamina build --no-verify             vs  pip install --no-compile --target + zip -r
 *   lamina build (Verify: bytecode, imports) vs  pip install --target (compiles bytecode) + zip -r
 *
 * Runs alternate (the order rotates every round), every run starts with empty caches (a new state folder for
 * lamina, --no-cache-dir for pip), figures are medians; peak memory is each process's maximum resident set
 * (/usr/bin/time). Sets: a pandas-like one (about 100 MB unzipped, 30-40 MB of wheels) and one of 200 MB unzipped.
 * Targets: lamina at least 5x faster than pip in both pairs, under 256 MB peak memory. Prints a table, then one
 * JSON line. Not a test: it checks nothing.
 *
 * Environment: BENCH_RUNS (default 3), BENCH_SETS (default `100,200`: MB unzipped per set).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pythonRuntime } from '../functions/layers/python/lambda-runtimes';
import { linuxPlatforms } from '../functions/layers/python/platform-tags';
import { writeFixtureIndex } from '../test/python/support/fixture-index';
import { startIndexServer } from '../test/python/support/index-server';
import { realisticSet } from '../test/python/support/realistic';
import { measure, median, type Measure } from './whole-process';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SETS = (process.env.BENCH_SETS ?? '100,200').split(',').map(Number);
const RUNTIME = 'python3.11';
const ARCH = 'x86_64' as const;
const ROOT = path.resolve(__dirname, '..');
const LAMINA = path.join(ROOT, 'bin', 'lamina.cjs');


/**
 * Where a verified lamina build spent its time, from what it logged: its own phases (build and zip, verify, seal)
 * and verify_layer.py's inside verify (unpack for the imports, overlapping compile; deliver; imports).
 */
function phasesOf(stderr: string): Record<string, number> {
  const phases: Record<string, number> = {};
  for (const line of stderr.split('\n')) {
    const own = /phases: (.*)$/.exec(line) ?? /verify_layer\.py: (.*) \(unpack overlaps compile\)/.exec(line);
    if (!own) continue;
    for (const part of own[1].split(', ')) {
      const [name, ms] = part.split(' ');
      phases[name] = Number(ms);
    }
  }
  return phases;
}



/** pip install into `python/` for the Lambda target, then `zip -r`, in one shell: one whole process tree. */
async function pipAndZip(indexUrl: string, requirement: string, dir: string, compile: boolean): Promise<Measure> {
  const facts = pythonRuntime(RUNTIME);
  const pip = ['python3', '-m', 'pip', 'install', '--quiet', '--only-binary=:all:', '--no-cache-dir', '--disable-pip-version-check', '--isolated'];
  if (!compile) pip.push('--no-compile');
  for (const platform of linuxPlatforms(ARCH, facts.glibc)) pip.push('--platform', platform);
  pip.push('--python-version', facts.pythonVersion, '--implementation', 'cp', '--target', 'python', '--index-url', indexUrl, requirement);
  const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
  return measure('bash', ['-c', `${pip.map(quote).join(' ')} && zip -r -q -X layer.zip python`], dir);
}

function laminaBuild(catalog: string, entry: string, dir: string, verify: boolean): Promise<Measure> {
  const args = [LAMINA, 'build', entry, '--catalog', catalog, '--out', path.join(dir, 'out'), '--state', path.join(dir, 'state')];
  if (!verify) args.push('--no-verify');
  return measure(process.execPath, args, dir, { ...process.env, LAMINA_CLI_REQUIRE_COMPILED: '1' });
}

async function sizeOf(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    files++;
    bytes += (await fs.stat(path.join(entry.parentPath, entry.name))).size;
  }
  return { files, bytes };
}

async function main(): Promise<void> {
  try {
    execFileSync('python3', ['-m', 'pip', '--version'], { stdio: 'ignore' });
    execFileSync('zip', ['-v'], { stdio: 'ignore' });
  } catch {
    console.log('bench:python needs python3 with pip and zip on PATH; skipping.');
    return;
  }
  const loadBefore = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  // The compiled CLI, up to date, so that no run pays for a rebuild.
  execFileSync(process.execPath, [LAMINA, '--help'], { stdio: 'ignore' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lamina-bench-python-'));
  const sets = SETS.map((mb) => ({ mb, prefix: `set${mb}`, dists: realisticSet(`set${mb}`, mb) }));
  console.log(`generating fixture wheels in ${dir} (${SETS.join(' and ')} MB unzipped)...`);
  const index = await writeFixtureIndex(path.join(dir, 'index'), sets.flatMap((s) => s.dists));
  const server = await startIndexServer(index);
  const catalog = path.join(dir, 'catalog.yaml');
  await fs.writeFile(
    catalog,
    [
      'settings:',
      '  prefix: bench',
      '  regions: [us-east-1]',
      'layers:',
      ...sets.flatMap((s) => [`  - name: ${s.prefix}`, '    kind: python', `    requirements: [${s.prefix}-frame]`, `    runtimes: [${RUNTIME}]`, `    architectures: [${ARCH}]`, `    index: ${server.url}`]),
      '',
    ].join('\n'),
  );
  type Tool = 'lamina' | 'pip' | 'laminaVerify' | 'pipCompile';
  const results: Array<{ set: string; wheelsMb: number; files: number; unzippedMb: number; runs: Record<Tool, Measure[]> }> = [];
  let n = 0;
  try {
    for (const set of sets) {
      const wheels = Object.entries(index.files).filter(([name]) => name.startsWith(`${set.prefix}_`));
      let wheelBytes = 0;
      for (const [name] of wheels) wheelBytes += (await fs.stat(path.join(index.filesDir, name))).size;
      const runs: Record<Tool, Measure[]> = { lamina: [], pip: [], laminaVerify: [], pipCompile: [] };
      const order: Tool[] = ['lamina', 'pip', 'laminaVerify', 'pipCompile'];
      let tree = { files: 0, bytes: 0 };
      for (let round = 0; round < RUNS; round++) {
        for (let k = 0; k < order.length; k++) {
          const tool = order[(k + round) % order.length];
          const runDir = path.join(dir, 'runs', String(n++));
          await fs.mkdir(runDir, { recursive: true });
          const requirement = `${set.prefix}-frame`;
          const result =
            tool === 'pip' || tool === 'pipCompile'
              ? await pipAndZip(server.url, requirement, runDir, tool === 'pipCompile')
              : await laminaBuild(catalog, set.prefix, runDir, tool === 'laminaVerify');
          runs[tool].push(result);
          if (tool === 'pip' && round === 0) tree = await sizeOf(path.join(runDir, 'python'));
          await fs.rm(runDir, { recursive: true, force: true });
        }
      }
      results.push({ set: set.prefix, wheelsMb: wheelBytes / 1e6, files: tree.files, unzippedMb: tree.bytes / 1e6, runs });
    }
  } finally {
    await server.close();
    await fs.rm(dir, { recursive: true, force: true });
  }

  const startup = { lamina: [] as number[], node: [] as number[] };
  for (let i = 0; i < 7; i++) {
    startup.node.push((await measure(process.execPath, ['-e', '0'], os.tmpdir())).ms);
    startup.lamina.push((await measure(process.execPath, [LAMINA, '--help'], os.tmpdir(), { ...process.env, LAMINA_CLI_REQUIRE_COMPILED: '1' })).ms);
  }

  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const mb = (m: Measure[]) => (m[0]?.peakMb === undefined ? 'n/a' : `${Math.max(...m.map((x) => x.peakMb!)).toFixed(0)} MB`);
  const med = (m: Measure[]) => median(m.map((x) => x.ms));
  const header = ['set', 'wheels', 'files', 'lamina --no-verify', 'pip --no-compile + zip', 'ratio', 'lamina (verify, bytecode)', 'pip (compile) + zip', 'ratio', 'lamina peak', 'pip peak'];
  const rows = results.map((r) => [
    `${r.set} (${r.unzippedMb.toFixed(0)} MB unzipped)`,
    `${r.wheelsMb.toFixed(1)} MB`,
    String(r.files),
    s(med(r.runs.lamina)),
    s(med(r.runs.pip)),
    `${(med(r.runs.pip) / med(r.runs.lamina)).toFixed(1)}x`,
    s(med(r.runs.laminaVerify)),
    s(med(r.runs.pipCompile)),
    `${(med(r.runs.pipCompile) / med(r.runs.laminaVerify)).toFixed(1)}x`,
    `${mb(r.runs.lamina)} / ${mb(r.runs.laminaVerify)}`,
    `${mb(r.runs.pip)} / ${mb(r.runs.pipCompile)}`,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const phaseMedians = (m: Measure[]) => {
    const all = m.map((x) => phasesOf(x.stderr));
    const names = [...new Set(all.flatMap((p) => Object.keys(p)))];
    return Object.fromEntries(names.map((name) => [name, Math.round(median(all.map((p) => p[name] ?? 0)))]));
  };
  console.log(`\n${RUNTIME} ${ARCH}, ${RUNS} alternating rounds, empty caches every run, medians; whole processes (lamina: node bin/lamina.cjs; pip: python3 -m pip, then zip -r)`);
  console.log(`${os.cpus().length} cores shared with whatever else runs; load average before: ${loadBefore}, after: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
  for (const r of results) {
    const phases = phaseMedians(r.runs.laminaVerify);
    console.log(`${r.set} lamina (verify) phases, median ms: ${Object.entries(phases).map(([name, ms]) => `${name} ${ms}`).join(', ')} (inside verify: unpack overlaps compile)`);
  }
  console.log(`\nlamina --help: ${median(startup.lamina).toFixed(0)} ms (node -e 0 alone: ${median(startup.node).toFixed(0)} ms), medians of 7`);
  console.log('targets: both ratios >= 5x, lamina peak < 256 MB, lamina --help < 150 ms');
  console.log(
    JSON.stringify({
      bench: 'python',
      runtime: RUNTIME,
      runs: RUNS,
      sets: results.map((r) => ({
        set: r.set,
        wheelsMb: +r.wheelsMb.toFixed(1),
        unzippedMb: +r.unzippedMb.toFixed(1),
        files: r.files,
        laminaMs: +med(r.runs.lamina).toFixed(0),
        pipNoCompileZipMs: +med(r.runs.pip).toFixed(0),
        ratioNoCompile: +(med(r.runs.pip) / med(r.runs.lamina)).toFixed(2),
        laminaVerifyMs: +med(r.runs.laminaVerify).toFixed(0),
        pipCompileZipMs: +med(r.runs.pipCompile).toFixed(0),
        ratioCompile: +(med(r.runs.pipCompile) / med(r.runs.laminaVerify)).toFixed(2),
        laminaPeakMb: r.runs.lamina[0]?.peakMb === undefined ? null : Math.round(Math.max(...r.runs.lamina.map((x) => x.peakMb!))),
        laminaVerifyPeakMb: r.runs.laminaVerify[0]?.peakMb === undefined ? null : Math.round(Math.max(...r.runs.laminaVerify.map((x) => x.peakMb!))),
        laminaVerifyPhasesMs: phaseMedians(r.runs.laminaVerify),
      })),
      cliHelpMs: +median(startup.lamina).toFixed(0),
      nodeStartMs: +median(startup.node).toFixed(0),
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
