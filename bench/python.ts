/**
 * `npm run bench:python`: lamina against `pip install --target` + `zip -r` on the same requirements, from the same
 * local index (127.0.0.1, fixtures generated in a temp folder), side by side: medians, the ratio, and lamina's peak
 * memory while building a layer of 200 MB unzipped. Not a test: it prints numbers and checks nothing.
 *
 * lamina is timed in process (as a warm Lambda runs it); pip is timed as a command, so its figure includes the
 * interpreter start-up, which is printed on its own for reference. Both start with empty caches every run.
 *
 * Environment: BENCH_RUNS (default 5), BENCH_BIG_MB (default 200).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeDeterministicZip } from '../functions/archive/deterministic-zip';
import type { Architecture } from '../functions/layers/kind';
import { pythonKind, type PythonEntry } from '../functions/layers/python/kind';
import { pythonRuntime } from '../functions/layers/python/lambda-runtimes';
import { linuxPlatforms } from '../functions/layers/python/platform-tags';
import { writeFixtureIndex, type FixtureDist } from '../test/python/support/fixture-index';
import { startIndexServer } from '../test/python/support/index-server';
import { UNIVERSE } from '../test/python/support/universe';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const BIG_MB = Number(process.env.BENCH_BIG_MB ?? 200);
const RUNTIME = 'python3.11';
const ARCH: Architecture = 'x86_64';

interface Scenario {
  name: string;
  requirements: string[];
  runs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function bigUniverse(totalMb: number): FixtureDist[] {
  const count = 10;
  const each = Math.floor((totalMb * 1_000_000) / count);
  const parts: FixtureDist[] = Array.from({ length: count }, (_, i) => ({ name: `bigpart-${i}`, version: '1.0', wheels: ['py3-none-any'], payloadBytes: each, payloadKind: 'mixed' as const }));
  return [...parts, { name: 'biglayer', version: '1.0', wheels: ['py3-none-any'], requires: parts.map((p) => p.name) }];
}

/** Milliseconds spent laying the layer out (resolve, download, install) and zipping it. */
interface Split {
  layout: number;
  zip: number;
}

/** One lamina build: resolve, download (verified), install, deterministic zip. */
async function laminaOnce(indexUrl: string, requirements: string[], root: string, split?: Split): Promise<number> {
  const entry: PythonEntry = { name: 'bench', kind: 'python', requirements, runtimes: [RUNTIME], architectures: [ARCH], index: indexUrl };
  const [target] = pythonKind.expand(entry, { prefix: 'bench' });
  const ctx = { workDir: path.join(root, 'work'), cacheDir: path.join(root, 'cache'), log: () => {} };
  const start = performance.now();
  const resolved = await pythonKind.resolve(target, ctx);
  const built = await pythonKind.build(resolved, ctx);
  const laidOut = performance.now();
  const zip = await writeDeterministicZip(built.rootDir, path.join(root, 'layer.zip'), { rawEntries: built.rawEntries });
  if (split) {
    split.layout = laidOut - start;
    split.zip = performance.now() - laidOut;
  }
  return zip.unzippedSize;
}

function run(command: string, args: string[], cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${stderr.slice(-2000)}`))));
  });
}

/** One pip build: `pip install --target` for the Lambda platform tags, then `zip -r`. */
async function pipOnce(indexUrl: string, requirements: string[], root: string, split?: Split): Promise<void> {
  const start = performance.now();
  const facts = pythonRuntime(RUNTIME);
  const args = ['-m', 'pip', 'install', '--quiet', '--only-binary=:all:', '--no-cache-dir', '--disable-pip-version-check', '--isolated'];
  for (const platform of linuxPlatforms(ARCH, facts.glibc)) args.push('--platform', platform);
  args.push('--python-version', facts.pythonVersion, '--implementation', 'cp', '--target', path.join(root, 'python'), '--index-url', indexUrl, ...requirements);
  await run('python3', args);
  const laidOut = performance.now();
  await run('zip', ['-r', '-q', '-X', path.join(root, 'layer.zip'), 'python'], root);
  if (split) {
    split.layout = laidOut - start;
    split.zip = performance.now() - laidOut;
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Runs one lamina build in a child process and returns its peak resident memory (MB). */
function childPeak(indexUrl: string, requirements: string[], root: string): Promise<{ peakMb: number; unzipped: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--child', indexUrl, root, ...requirements], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`child exited ${code}`))));
  });
}

async function child(): Promise<void> {
  const [indexUrl, root, ...requirements] = process.argv.slice(3);
  const unzipped = await laminaOnce(indexUrl, requirements, root);
  // maxRSS is the peak resident set of this process, in kilobytes.
  process.stdout.write(`${JSON.stringify({ peakMb: process.resourceUsage().maxRSS / 1024, unzipped })}\n`);
}

async function main(): Promise<void> {
  try {
    execFileSync('python3', ['-m', 'pip', '--version'], { stdio: 'ignore' });
    execFileSync('zip', ['-v'], { stdio: 'ignore' });
  } catch {
    console.log('bench:python needs python3 with pip and zip on PATH; skipping.');
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lamina-bench-python-'));
  console.log(`generating fixtures in ${dir} (a ${BIG_MB} MB layer included)...`);
  const index = await writeFixtureIndex(dir, [...UNIVERSE, ...bigUniverse(BIG_MB)]);
  const server = await startIndexServer(index);
  const scenarios: Scenario[] = [
    { name: 'requests[socks]', requirements: ['requests[socks]'], runs: RUNS },
    { name: 'requests cryptography numpy marked', requirements: ['requests', 'cryptography', 'numpy', 'marked'], runs: RUNS },
    { name: `biglayer (${BIG_MB} MB unzipped)`, requirements: ['biglayer'], runs: Math.max(1, Math.min(RUNS, 3)) },
  ];
  try {
    const pipStart = median(await Promise.all([0, 1, 2].map(() => timed(() => run('python3', ['-m', 'pip', '--version'])))));
    const rows: string[][] = [['scenario', 'lamina median', 'pip+zip median', 'ratio', 'lamina layout / zip', 'pip install / zip -r']];
    const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    let n = 0;
    for (const scenario of scenarios) {
      const lamina: number[] = [];
      const pip: number[] = [];
      const laminaSplits: Split[] = [];
      const pipSplits: Split[] = [];
      for (let i = 0; i < scenario.runs; i++) {
        const laminaRoot = path.join(dir, 'runs', `${n++}`);
        const laminaSplit: Split = { layout: 0, zip: 0 };
        lamina.push(await timed(() => laminaOnce(server.url, scenario.requirements, laminaRoot, laminaSplit)));
        laminaSplits.push(laminaSplit);
        await fs.rm(laminaRoot, { recursive: true, force: true });
        const pipRoot = path.join(dir, 'runs', `${n++}`);
        await fs.mkdir(pipRoot, { recursive: true });
        const pipSplit: Split = { layout: 0, zip: 0 };
        pip.push(await timed(() => pipOnce(server.url, scenario.requirements, pipRoot, pipSplit)));
        pipSplits.push(pipSplit);
        await fs.rm(pipRoot, { recursive: true, force: true });
      }
      const l = median(lamina);
      const p = median(pip);
      const splitText = (splits: Split[]) => `${seconds(median(splits.map((x) => x.layout)))} / ${seconds(median(splits.map((x) => x.zip)))}`;
      rows.push([scenario.name, seconds(l), seconds(p), `${(p / l).toFixed(1)}x faster`, splitText(laminaSplits), splitText(pipSplits)]);
    }
    const peakRoot = path.join(dir, 'runs', 'peak');
    const peak = await childPeak(server.url, ['biglayer'], peakRoot);
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    console.log(`\n${RUNTIME} ${ARCH}, ${RUNS} runs per scenario (biglayer: up to 3), empty caches every run\n`);
    for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join('   '));
    console.log(`\npip interpreter start-up alone (python3 -m pip --version): ${(pipStart / 1000).toFixed(2)} s`);
    console.log(`lamina peak memory building the ${(peak.unzipped / 1e6).toFixed(0)} MB layer (separate process, resolve+download+install+zip): ${peak.peakMb.toFixed(0)} MB`);
    console.log(`targets: >= 3x faster than pip, < 256 MB peak memory`);
  } finally {
    await server.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  child().catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
