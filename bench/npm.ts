/**
 * `npm run bench:npm`: the npm layer's Build, streamed against the tree it replaced, whole process against whole
 * process, on a tree shaped like a real node_modules (many packages of many small files, scoped names, a nested
 * copy, `.node` files of realistic sizes, one over the in-memory size) served from an npm registry on 127.0.0.1:
 *
 *   streamed  each verified tarball gunzipped once, its files deflated into the layer zip's spool (the default)
 *   tree      pacote extracts every tarball to disk, strip walks the tree, the zip writer reads it back
 *   npm       for reference: `npm install --omit=dev --ignore-scripts --os=linux --cpu=x64` + `zip -r`
 *
 * lamina's two run bench/npm-build.ts (the Build task's work: lay out the resolved target, write the zip) bundled
 * by esbuild, so neither pays for transpiling. Runs alternate (the order rotates every round), every run starts
 * with an empty cache, figures are medians; peak memory is each process's maximum resident set and CPU its user +
 * system time (/usr/bin/time; CPU is the steadier figure on a shared machine).
 * The streamed and tree zips must be the same bytes (checked every run). Prints a table, then one JSON line. Not a
 * test: it checks nothing else.
 *
 * Environment: BENCH_RUNS (default 5), BENCH_PACKAGES (default 120), BENCH_FILES (files per package, default 40).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build as esbuild } from 'esbuild';
import { createNpmKind, type NpmEntry } from '../functions/layers/npm/kind';
import { realisticTree } from '../test/npm/support/realistic';
import { serveRegistry } from '../test/npm/support/registry';
import { measure, median, type Measure } from './whole-process';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PACKAGES = Number(process.env.BENCH_PACKAGES ?? 120);
const FILES = Number(process.env.BENCH_FILES ?? 40);
const ROOT = path.resolve(__dirname, '..');
type Tool = 'streamed' | 'tree' | 'npm';




async function main(): Promise<void> {
  const loadBefore = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  let hasNpm = true;
  try {
    execFileSync('npm', ['--version'], { stdio: 'ignore' });
    execFileSync('zip', ['-v'], { stdio: 'ignore' });
  } catch {
    hasNpm = false;
    console.log('npm or zip is not on PATH: the npm install + zip -r reference is left out');
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lamina-bench-npm-'));
  const prefix = 'bn';
  console.log(`generating ${PACKAGES} fixture packages of about ${FILES} files each...`);
  const packages = realisticTree({ prefix, packages: PACKAGES, files: FILES, natives: [4 * 1024 * 1024, 12 * 1024 * 1024] });
  const registry = await serveRegistry(packages);
  const tarballBytes = packages.reduce((sum, p) => sum + registry.tarballOf(p.name, p.version).length, 0);
  const results: Record<Tool, Measure[]> = { streamed: [], tree: [], npm: [] };
  let layer = { sha256: '', size: 0, unzippedSize: 0, entries: 0 };
  let identical = true;
  try {
    // Resolved once: what Plan hands Build. Both layouts build this same target.
    const kind = createNpmKind();
    const entry = kind.entrySchema.parse({ name: 'bench', kind: 'npm', packages: [`${prefix}-app`], runtimes: ['nodejs20.x'], architectures: ['x86_64'], registry: registry.url }) as NpmEntry;
    const resolveDir = path.join(dir, 'resolve');
    const target = await kind.resolve(kind.expand(entry, { prefix: 'bench' })[0], { workDir: resolveDir, cacheDir: path.join(resolveDir, 'cache'), log: () => undefined });
    const targetFile = path.join(dir, 'target.json');
    await fs.writeFile(targetFile, JSON.stringify(target));
    const runner = path.join(dir, 'npm-build.cjs');
    await esbuild({ entryPoints: [path.join(ROOT, 'bench', 'npm-build.ts')], bundle: true, platform: 'node', format: 'cjs', packages: 'external', outfile: runner, logLevel: 'error' });

    const tools: Tool[] = hasNpm ? ['streamed', 'tree', 'npm'] : ['streamed', 'tree'];
    let n = 0;
    for (let round = 0; round < RUNS; round++) {
      const zips: Partial<Record<Tool, string>> = {};
      for (let k = 0; k < tools.length; k++) {
        const tool = tools[(k + round) % tools.length];
        const runDir = path.join(dir, 'runs', String(n++));
        await fs.mkdir(runDir, { recursive: true });
        let result: Measure;
        if (tool === 'npm') {
          const nodejs = path.join(runDir, 'nodejs');
          await fs.mkdir(nodejs);
          await fs.writeFile(path.join(nodejs, 'package.json'), JSON.stringify({ name: 'layer', version: '0.0.0', private: true, dependencies: { [`${prefix}-app`]: '1.0.0' } }));
          const npm = ['npm', 'install', '--omit=dev', '--ignore-scripts', '--no-bin-links', '--os=linux', '--cpu=x64', '--libc=glibc', '--no-audit', '--no-fund', '--loglevel=error', `--registry=${registry.url}`, `--cache=${path.join(runDir, 'npm-cache')}`];
          const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
          result = await measure('bash', ['-c', `cd nodejs && ${npm.map(quote).join(' ')} && cd .. && zip -r -q -X layer.zip nodejs`], runDir);
        } else {
          // The bundle sits in the scratch folder: its packages come from lamina's node_modules.
          result = await measure(process.execPath, [runner, targetFile, tool, runDir], runDir, { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') });
          const written = JSON.parse(result.stdout) as typeof layer;
          zips[tool] = written.sha256;
          layer = written;
        }
        results[tool].push(result);
        await fs.rm(runDir, { recursive: true, force: true });
      }
      if (zips.streamed !== zips.tree) identical = false;
    }
  } finally {
    await registry.close();
    await fs.rm(dir, { recursive: true, force: true });
  }

  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const med = (tool: Tool) => median(results[tool].map((m) => m.ms));
  const cpu = (tool: Tool) => (results[tool][0]?.cpuMs === undefined ? undefined : median(results[tool].map((m) => m.cpuMs!)));
  const peak = (tool: Tool) => (results[tool][0]?.peakMb === undefined ? undefined : Math.max(...results[tool].map((m) => m.peakMb!)));
  const rows = (Object.keys(results) as Tool[])
    .filter((tool) => results[tool].length > 0)
    .map((tool) => [
      tool === 'streamed' ? 'lamina streamed (default)' : tool === 'tree' ? 'lamina tree (extract, then zip)' : 'npm install + zip -r',
      s(med(tool)),
      `${s(Math.min(...results[tool].map((m) => m.ms)))} - ${s(Math.max(...results[tool].map((m) => m.ms)))}`,
      `${(med(tool) / med('streamed')).toFixed(2)}x`,
      cpu(tool) === undefined ? 'n/a' : s(cpu(tool)!),
      cpu(tool) === undefined ? 'n/a' : `${(cpu(tool)! / cpu('streamed')!).toFixed(2)}x`,
      peak(tool) === undefined ? 'n/a' : `${peak(tool)!.toFixed(0)} MB`,
    ]);
  const header = ['build', 'median', 'min - max', 'vs streamed', 'CPU (user+sys)', 'vs streamed', 'peak RSS'];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  console.log(
    `\n${packages.length} packages, ${layer.entries} zip entries, ${(layer.unzippedSize / 1e6).toFixed(1)} MB unzipped, ${(layer.size / 1e6).toFixed(1)} MB zipped, ${(tarballBytes / 1e6).toFixed(1)} MB of tarballs; nodejs20.x x86_64`,
  );
  console.log(`${RUNS} alternating rounds, empty caches every run, medians; whole processes (lamina: node on the bundled Build work; npm: npm install, then zip -r)`);
  console.log(`${os.cpus().length} cores shared with whatever else runs; load average before: ${loadBefore}, after: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`streamed and tree zips byte-identical in every round: ${identical ? 'yes' : 'NO'}\n`);
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
  console.log(
    JSON.stringify({
      bench: 'npm',
      runs: RUNS,
      packages: packages.length,
      entries: layer.entries,
      unzippedMb: +(layer.unzippedSize / 1e6).toFixed(1),
      zippedMb: +(layer.size / 1e6).toFixed(1),
      tarballsMb: +(tarballBytes / 1e6).toFixed(1),
      streamedMs: +med('streamed').toFixed(0),
      treeMs: +med('tree').toFixed(0),
      ratioTreeToStreamed: +(med('tree') / med('streamed')).toFixed(2),
      ...(cpu('streamed') === undefined ? {} : { streamedCpuMs: +cpu('streamed')!.toFixed(0), treeCpuMs: +cpu('tree')!.toFixed(0), cpuRatioTreeToStreamed: +(cpu('tree')! / cpu('streamed')!).toFixed(2) }),
      ...(results.npm.length ? { npmInstallZipMs: +med('npm').toFixed(0), ratioNpmToStreamed: +(med('npm') / med('streamed')).toFixed(2), ...(cpu('npm') === undefined ? {} : { npmCpuMs: +cpu('npm')!.toFixed(0) }) } : {}),
      streamedPeakMb: peak('streamed') === undefined ? null : +peak('streamed')!.toFixed(0),
      treePeakMb: peak('tree') === undefined ? null : +peak('tree')!.toFixed(0),
      ...(results.npm.length ? { npmPeakMb: peak('npm') === undefined ? null : +peak('npm')!.toFixed(0) } : {}),
      identical,
    }),
  );
  if (!identical) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
