/**
 * `npm run bench:scale`: the real state machine (statemachine/pipeline.asl.json) on the local engine, against the
 * embedded services, on a generated catalog of BENCH_TARGETS bash-runtime layers × the 34 regions where Lambda runs,
 * then a second run on the same state (which must publish nothing). Prints a table, then one JSON line.
 *
 * Environment: BENCH_TARGETS (default 1000); LAMINA_CONTROL_PLANE_RATE (requests per second per region the
 * publishes pace themselves at; default AWS's 15, so the first run takes at least targets × 5 calls / 15 s);
 * BENCH_SERVICES: `process` (default) runs the embedded services in a child process (bench/services-process.ts), as
 * `lamina serve` beside `lamina run` does, so the services and the pipeline each have a core; `inline` runs both on
 * this process's one event loop, as a plain `lamina run` does.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LAMBDA_REGIONS } from '../functions/regions/lambda-regions';
import { controlPlaneRate } from '../functions/regions/control-plane';
import { runLocalPipeline, type LocalRunResult } from '../local/runner';
import { startLocalServices } from '../local/services';
import { servicesInChildProcess } from './services-process';

const TARGETS = Number(process.env.BENCH_TARGETS ?? 1000);
const SERVICES = process.env.BENCH_SERVICES ?? 'process';

function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  return cells.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ')).join('\n');
}

async function main(): Promise<void> {
  process.env.LAMINA_LOG_FORMAT = 'silent';
  const stateDir = await mkdtemp(path.join(tmpdir(), 'lamina-bench-scale-'));
  const catalogFile = path.join(stateDir, 'catalog.yaml');
  const entries = Array.from({ length: TARGETS }, (_, index) => `  - name: b${index}\n    kind: bash-runtime\n`).join('');
  await writeFile(catalogFile, `settings:\n  prefix: bench\n  regions: all\nlayers:\n${entries}`);
  const services = SERVICES === 'inline' ? await startLocalServices({ stateDir, inMemory: true }) : await servicesInChildProcess(stateDir);
  try {
    const timed = async (): Promise<{ result: LocalRunResult; seconds: number }> => {
      const started = performance.now();
      const result = await runLocalPipeline({}, { stateDir, catalogFile });
      return { result, seconds: (performance.now() - started) / 1000 };
    };
    const first = await timed();
    const second = await timed();
    const row = (name: string, { result, seconds }: { result: LocalRunResult; seconds: number }) => [
      name,
      result.summary.counts.published,
      result.summary.counts.unchanged,
      result.summary.counts.failed,
      result.stats.executions,
      result.stats.maxExecutionEvents,
      result.stats.maxStatePayloadBytes,
      seconds.toFixed(1),
    ];
    console.log(`${TARGETS} bash-runtime layers × ${LAMBDA_REGIONS.length} regions, control plane paced at ${controlPlaneRate()} requests/s per region, services ${SERVICES === 'inline' ? 'in this process' : 'in a process of their own'}`);
    console.log(
      table(
        ['run', 'published', 'unchanged', 'failed', 'executions', 'max events/execution', 'max state bytes', 'seconds'],
        [row('first', first), row('rerun', second)],
      ),
    );
    const stats = (run: LocalRunResult) => run.stats;
    console.log(
      JSON.stringify({
        targets: TARGETS,
        regions: LAMBDA_REGIONS.length,
        publishes: first.result.summary.counts.published,
        failed: first.result.summary.counts.failed + second.result.summary.counts.failed,
        wallSeconds: Number(first.seconds.toFixed(1)),
        maxStatePayloadBytes: Math.max(stats(first.result).maxStatePayloadBytes, stats(second.result).maxStatePayloadBytes),
        maxExecutionEvents: Math.max(stats(first.result).maxExecutionEvents, stats(second.result).maxExecutionEvents),
        executions: stats(first.result).executions + stats(second.result).executions,
        rerunPublished: second.result.summary.counts.published,
      }),
    );
  } finally {
    await services.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
