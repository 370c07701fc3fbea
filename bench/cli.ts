/**
 * `npm run bench:cli`: how long `lamina` takes to start, whole process against whole process: `node -e 0` (the
 * floor: Node's own start), `lamina --help` (target: under 150 ms), and commands that load their own code and stop
 * early (`lamina build` with an unknown option, `lamina schema --print`). The compiled CLI must be up to date
 * (LAMINA_CLI_REQUIRE_COMPILED=1: a rebuild is never timed). The runs alternate; medians, and each median's ratio
 * to Node's start. Prints a table, then one JSON line.
 *
 * `--baseline <other checkout>/bin/lamina.cjs` adds that checkout's `lamina --help` to the same alternating rounds
 * (before and after a change, side by side; its compiled CLI must be up to date too).
 *
 *   npm run bench:cli [-- --runs 15] [-- --baseline ../before/bin/lamina.cjs]
 */
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' }, baseline: { type: 'string' } } });
const RUNS = Number(values.runs);
const LAMINA = path.join(__dirname, '..', 'bin', 'lamina.cjs');
const TARGET_HELP_MS = 150;

interface Case {
  key: string;
  label: string;
  args: string[];
  /** The exit code the case ends with; another one fails the benchmark (it would time something else). */
  code: number;
}

const CASES: Case[] = [
  { key: 'nodeStartMs', label: 'node -e 0', args: ['-e', '0'], code: 0 },
  { key: 'cliHelpMs', label: 'lamina --help', args: [LAMINA, '--help'], code: 0 },
  { key: 'cliBuildUsageErrorMs', label: 'lamina build --no-such-option', args: [LAMINA, 'build', '--no-such-option'], code: 2 },
  { key: 'cliSchemaPrintMs', label: 'lamina schema --print', args: [LAMINA, 'schema', '--print'], code: 0 },
  ...(values.baseline
    ? [
        { key: 'baselineHelpMs', label: `baseline --help (${values.baseline})`, args: [path.resolve(values.baseline), '--help'], code: 0 },
        { key: 'baselineSchemaPrintMs', label: 'baseline schema --print', args: [path.resolve(values.baseline), 'schema', '--print'], code: 0 },
      ]
    : []),
];

function timed(args: string[]): Promise<{ ms: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { cwd: os.tmpdir(), stdio: 'ignore', env: { ...process.env, LAMINA_CLI_REQUIRE_COMPILED: '1' } });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, code }));
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

async function main(): Promise<void> {
  const loadBefore = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  const times = new Map<string, number[]>(CASES.map((c) => [c.key, []]));
  // One untimed round: the page cache holds the files, as it does for a person running lamina twice.
  for (const c of CASES) await timed(c.args);
  for (let round = 0; round < RUNS; round++) {
    for (let k = 0; k < CASES.length; k++) {
      const c = CASES[(k + round) % CASES.length];
      const result = await timed(c.args);
      if (result.code !== c.code) throw new Error(`${c.label} exited ${result.code}, not ${c.code}: is the compiled CLI up to date (npm run build:cli)?`);
      times.get(c.key)!.push(result.ms);
    }
  }
  const medians = Object.fromEntries(CASES.map((c) => [c.key, median(times.get(c.key)!)]));
  const node = medians.nodeStartMs;
  const header = ['process', 'median', 'min', 'max', 'ratio to node -e 0'];
  const rows = CASES.map((c) => {
    const t = times.get(c.key)!;
    return [c.label, `${medians[c.key].toFixed(0)} ms`, `${Math.min(...t).toFixed(0)} ms`, `${Math.max(...t).toFixed(0)} ms`, `${(medians[c.key] / node).toFixed(2)}x`];
  });
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  console.log(`lamina start-up, whole processes, ${RUNS} alternating rounds, medians`);
  console.log(`${os.cpus().length} cores shared with whatever else runs; load average before: ${loadBefore}, after: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
  const help = medians.cliHelpMs;
  console.log(`\ntarget: lamina --help under ${TARGET_HELP_MS} ms: ${help < TARGET_HELP_MS ? 'met' : 'missed'} (${help.toFixed(0)} ms; ${(help - node).toFixed(0)} ms above Node's own start)`);
  console.log(
    JSON.stringify({
      bench: 'cli',
      runs: RUNS,
      loadBefore,
      ...Object.fromEntries(CASES.map((c) => [c.key, +medians[c.key].toFixed(0)])),
      helpRatioToNode: +(help / node).toFixed(2),
      targetHelpMs: TARGET_HELP_MS,
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
