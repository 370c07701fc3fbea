/**
 * `npm run bench:publish`: how close publishing gets to what Lambda's control plane allows. The local pipeline (the
 * real state machine file, handlers and services) publishes one layer, then 20 layers, to 34 regions, against the
 * layer-API emulator with a latency on every call and Lambda's rate of requests per region (over it: 429).
 *
 * The floor is the larger of the rate bound (the most calls any region received ÷ the rate) and the critical path
 * (the calls one layer makes in one region, one after the other, × the mean latency), counting the calls made after
 * Plan (whose ListLayers of every region comes before any Publish). The floor is publishing's, so
 * the ratio is the publishing phase's wall time (from the first Publish task's start to the last one's end) ÷ the
 * floor; the whole run's wall time (Plan, the builds, Report and Expire too) is printed beside it. Target: within
 * 1.5× of the floor. Prints a table, then one JSON line. Not a test: it checks nothing.
 *
 * The services run in a process of their own (bench/services-process.ts), as `lamina serve` beside `lamina run`:
 * deployed, they are AWS's, and their CPU is not the pipeline's. BENCH_SERVICES=inline runs them in this process.
 * Every handler runs on the pipeline process's one thread, so its CPU during the publishing phase, as a share of one
 * core, says when that thread (or a machine without a spare core) is what bounds the phase rather than the quota.
 *
 * Environment: BENCH_LATENCY_MS (default 100-300), BENCH_RATE (default 15 requests per second per region),
 * BENCH_REGIONS (default 34), BENCH_LAYERS (default 1,20: the scenarios), BENCH_SERVICES (process or inline),
 * BENCH_ROUNDS (default 3: after one untimed warm-up run, the scenarios alternate that many times; the median round
 * of each is shown, with every round's publishing time), BENCH_PHASE_MARKS (set: each scenario's publishing phase on
 * the monotonic clock, on stderr, to cut a `node --cpu-prof` profile of this process, or BENCH_SERVICES_PROFILE's of
 * the services, to the samples of that phase).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { LAMBDA_REGIONS } from '../functions/regions/lambda-regions';
import { runLocalPipeline } from '../local/runner';
import { startLocalServices } from '../local/services';
import { taskStates } from '../statemachine/definition';
import { servicesInChildProcess, type ServicesFigures } from './services-process';

/** Task state → handler: Publish runs as the Publish state on the distributed path, InlinePublish on the inline one. */
const HANDLERS = taskStates();

const LATENCY = process.env.BENCH_LATENCY_MS ?? '100-300';
const RATE = Number(process.env.BENCH_RATE ?? 15);
const REGIONS = LAMBDA_REGIONS.slice(0, Number(process.env.BENCH_REGIONS ?? 34));
const SCENARIOS = (process.env.BENCH_LAYERS ?? '1,20').split(',').map(Number);
const SERVICES = process.env.BENCH_SERVICES ?? 'process';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function catalogOf(layers: number): string {
  const lines = ['settings:', '  prefix: bench', `  regions: [${REGIONS.join(', ')}]`, 'layers:'];
  for (let i = 0; i < layers; i++) lines.push(`  - name: bash${i}`, '    kind: bash-runtime', `    description: bench layer ${i}`);
  return `${lines.join('\n')}\n`;
}

interface Figures {
  /** The publish path the run took: inline (a plan within the inline budget) or distributed. */
  publishPath: 'inline' | 'distributed';
  layers: number;
  regions: number;
  /** The whole run: Plan to Expire. */
  wallMs: number;
  /** From the first Publish task's start to the last Publish task's end. */
  publishWallMs: number;
  /** CPU time (user + system) of the pipeline's process during the run. */
  cpuMs: number;
  /** The pipeline process's CPU time during the publishing phase, and its share of one core (all handlers share one thread). */
  publishCpuMs: number;
  publishCpuShare: number;
  /** CPU time of the services' process during the run (0 when they run inline: then it is in cpuMs). */
  servicesCpuMs: number;
  published: number;
  failed: number;
  maxCallsPerRegion: number;
  throttled: number;
  callsPerPublish: number;
  rateFloorMs: number;
  pathFloorMs: number;
  /** The expected time of the slowest region's chain: every region's calls drawn from the latency range. */
  slowestChainMs: number;
  /** max(rate floor, slowest chain): what no implementation can beat with this latency range. */
  physicalFloorMs: number;
  physicalRatio: number;
  floorMs: number;
  ratio: number;
}

/** The services for one scenario, and what they counted. */
async function startServices(stateDir: string): Promise<{ figures(): Promise<ServicesFigures>; close(): Promise<void> }> {
  if (SERVICES === 'process') return servicesInChildProcess(stateDir);
  const services = await startLocalServices({ stateDir, inMemory: true });
  const pacing = services.emulator!.pacing;
  return {
    figures: async () => ({ calls: Object.fromEntries(pacing.calls), throttled: Object.fromEntries(pacing.throttled), cpuMs: 0 }),
    close: () => services.close(),
  };
}

/**
 * The critical path counts each call at the mean latency, but the regions publish side by side and the phase
 * ends with the slowest of them: the expected maximum, over the regions, of the sum of `calls` latencies drawn from
 * the range (Monte Carlo). With 3 calls of 100-300 ms across 34 regions it is about 0.8 s, not 0.6 s.
 */
function expectedSlowestChain(calls: number, regions: number, trials = 20_000): number {
  const [low, high = low] = LATENCY.split('-').map(Number);
  let sum = 0;
  for (let trial = 0; trial < trials; trial++) {
    let slowest = 0;
    for (let region = 0; region < regions; region++) {
      let chain = 0;
      for (let call = 0; call < calls; call++) chain += low + Math.random() * (high - low);
      slowest = Math.max(slowest, chain);
    }
    sum += slowest;
  }
  return sum / trials;
}

async function scenario(layers: number, meanLatency: number): Promise<Figures> {
  // The emulator reads its pacing when it starts (in the services process, which inherits this environment).
  process.env.LAMINA_EMULATOR_LATENCY_MS = LATENCY;
  process.env.LAMINA_EMULATOR_REQUESTS_PER_SECOND = String(RATE);
  // lamina's own limiter paces at the quota the emulator enforces, as it paces at Lambda's when deployed.
  process.env.LAMINA_CONTROL_PLANE_RATE = String(RATE);
  process.env.LAMINA_LOG_FORMAT = 'silent';
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'lamina-bench-publish-'));
  const catalogFile = path.join(stateDir, 'catalog.yaml');
  await writeFile(catalogFile, catalogOf(layers));
  const services = await startServices(stateDir);
  try {
    // Plan reads every region (ListLayers) before any Publish: the publishing phase's calls are those after Plan.
    let afterPlan: Promise<ServicesFigures> | undefined;
    let firstPublish = Infinity;
    let lastPublish = 0;
    let cpuAtFirstPublish: NodeJS.CpuUsage | undefined;
    let cpuAtLastPublish: NodeJS.CpuUsage | undefined;
    const cpuBefore = process.cpuUsage();
    const servicesBefore = await services.figures();
    const start = performance.now();
    const startHr = process.hrtime.bigint();
    const { summary, execution } = await runLocalPipeline(
      {},
      {
        stateDir,
        catalogFile,
        onTaskStart: (state) => {
          if (HANDLERS[state] === 'publish' && firstPublish === Infinity) {
            firstPublish = performance.now();
            cpuAtFirstPublish = process.cpuUsage();
          }
        },
        onTask: (state) => {
          if (state === 'Plan') afterPlan = services.figures();
          if (HANDLERS[state] === 'publish') {
            lastPublish = performance.now();
            cpuAtLastPublish = process.cpuUsage();
          }
        },
      },
    );
    const wallMs = performance.now() - start;
    const cpu = process.cpuUsage(cpuBefore);
    if (process.env.BENCH_PHASE_MARKS) {
      const at = (ms: number) => startHr / 1000n + BigInt(Math.round((ms - start) * 1000));
      console.error(`${layers} layers: publishing phase on the monotonic clock (us, as --cpu-prof's sample times): ${at(firstPublish)} to ${at(lastPublish)}`);
    }
    const after = await services.figures();
    const before = (await afterPlan) ?? servicesBefore;
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const delta = (key: 'calls' | 'throttled', region: string) => (after[key][region] ?? 0) - (before[key][region] ?? 0);
    const maxCallsPerRegion = Math.max(...REGIONS.map((region) => delta('calls', region)));
    const throttled = REGIONS.reduce((sum, region) => sum + delta('throttled', region), 0);
    // Admitted calls of one layer in one region run one after the other: that chain is the critical path.
    const admittedPerRegion = Math.max(...REGIONS.map((region) => delta('calls', region) - delta('throttled', region)));
    const callsPerPublish = admittedPerRegion / layers;
    const rateFloorMs = (admittedPerRegion / RATE) * 1000;
    const pathFloorMs = callsPerPublish * meanLatency;
    const floorMs = Math.max(rateFloorMs, pathFloorMs);
    const slowestChainMs = expectedSlowestChain(Math.round(callsPerPublish), REGIONS.length);
    const physicalFloorMs = Math.max(rateFloorMs, slowestChainMs);
    const publishWallMs = lastPublish - firstPublish;
    const publishCpuMs =
      cpuAtFirstPublish && cpuAtLastPublish ? (cpuAtLastPublish.user + cpuAtLastPublish.system - cpuAtFirstPublish.user - cpuAtFirstPublish.system) / 1000 : 0;
    const counts = summary.counts as Record<string, number>;
    // The path PlanPublishes chose for the run (functions/plan/run-limits.ts's inline budget).
    const publishPath = execution.history.events.some((event) => event.type === 'MapStateEntered' && event.details?.name === 'InlinePublishes') ? 'inline' : 'distributed';
    return {
      layers,
      regions: REGIONS.length,
      publishPath,
      wallMs,
      publishWallMs,
      cpuMs,
      publishCpuMs,
      publishCpuShare: publishWallMs > 0 ? publishCpuMs / publishWallMs : 0,
      servicesCpuMs: after.cpuMs - servicesBefore.cpuMs,
      published: counts.published ?? 0,
      failed: counts.failed ?? 0,
      maxCallsPerRegion,
      throttled,
      callsPerPublish,
      rateFloorMs,
      pathFloorMs,
      slowestChainMs,
      physicalFloorMs,
      physicalRatio: (lastPublish - firstPublish) / physicalFloorMs,
      floorMs,
      ratio: publishWallMs / floorMs,
    };
  } finally {
    await services.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

/**
 * The handler modules, loaded before anything is timed: a deployed function loads its bundle once per container,
 * while locally the first scenario would otherwise pay for transpiling every handler and the SDK on first use.
 */
async function loadHandlers(): Promise<void> {
  await Promise.all([
    import('../functions/plan/handler'),
    import('../functions/build/handler'),
    import('../functions/seal/handler'),
    import('../functions/plan-publishes/handler'),
    import('../local/verify-functions'),
    import('../functions/publish/handler'),
    import('../functions/report/handler'),
    import('../functions/expire/handler'),
    import('../functions/failure/handler'),
  ]);
}

async function main(): Promise<void> {
  await loadHandlers();
  const [low, high = low] = LATENCY.split('-').map(Number);
  const meanLatency = (low + high) / 2;
  const loadBefore = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  // One untimed run first: the JIT warms the code every publish runs, as it is warm in a container that has served
  // a few invocations; the timed scenarios then alternate for BENCH_ROUNDS rounds and the median round is shown.
  await scenario(1, meanLatency);
  const rounds = new Map<number, Figures[]>(SCENARIOS.map((layers) => [layers, []]));
  for (let round = 0; round < ROUNDS; round++) for (const layers of SCENARIOS) rounds.get(layers)!.push(await scenario(layers, meanLatency));
  // The round whose publishing time is the median stands for the scenario, with every round's time beside it.
  const results = SCENARIOS.map((layers) => {
    const runs = rounds.get(layers)!;
    const middle = [...runs].sort((a, b) => a.publishWallMs - b.publishWallMs)[Math.floor((runs.length - 1) / 2)];
    return { ...middle, roundsPublishWallMs: runs.map((run) => Math.round(run.publishWallMs)) };
  });
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const perPublish = (ms: number, r: Figures) => `${(ms / Math.max(1, r.published + r.failed)).toFixed(1)} ms`;
  const header = ['scenario', 'publishing (median)', 'rounds', 'whole run', 'CPU per publish: pipeline / services', 'pipeline CPU while publishing (share of a core)', 'published / failed', 'calls per region (429s)', 'rate floor', 'critical path', 'floor', 'publishing / floor', 'slowest chain (expected)', 'publishing / max(rate floor, slowest chain)'];
  const rows = results.map((r) => [
    `${r.layers} layer${r.layers === 1 ? '' : 's'} x ${r.regions} regions (${r.publishPath})`,
    s(r.publishWallMs),
    r.roundsPublishWallMs.map((ms) => (ms / 1000).toFixed(2)).join(' / '),
    s(r.wallMs),
    `${perPublish(r.cpuMs, r)} / ${SERVICES === 'process' ? perPublish(r.servicesCpuMs, r) : 'inline'}`,
    `${s(r.publishCpuMs)} (${Math.round(r.publishCpuShare * 100)}%)`,
    `${r.published} / ${r.failed}`,
    `${r.maxCallsPerRegion} (${r.throttled} refused in all)`,
    s(r.rateFloorMs),
    `${s(r.pathFloorMs)} (${r.callsPerPublish.toFixed(1)} calls)`,
    s(r.floorMs),
    `${r.ratio.toFixed(2)}x`,
    s(r.slowestChainMs),
    `${r.physicalRatio.toFixed(2)}x`,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  console.log(
    `\nlocal pipeline (handlers loaded before timing), services ${SERVICES === 'process' ? 'in a process of their own' : 'in this process'}, emulator latency ${LATENCY} ms per call, ${RATE} requests/s per region (429 over it; lamina paces itself at it); load average before: ${loadBefore}\n`,
  );
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
  console.log('\nfloor = max(admitted calls per region / rate, calls of one layer in one region x mean latency), counting the calls after Plan; publishing = first Publish start to last Publish end; target: publishing / floor <= 1.5;\nslowest chain = the expected slowest region when the latency of every call is drawn from the range (the phase ends with the slowest region)');
  const ms = (value: number) => Math.round(value);
  console.log(
    JSON.stringify({
      bench: 'publish',
      latencyMs: LATENCY,
      ratePerRegion: RATE,
      services: SERVICES,
      rounds: ROUNDS,
      loadBefore,
      scenarios: results.map((r) => ({
        ...r,
        wallMs: ms(r.wallMs),
        publishWallMs: ms(r.publishWallMs),
        cpuMs: ms(r.cpuMs),
        publishCpuMs: ms(r.publishCpuMs),
        publishCpuShare: +r.publishCpuShare.toFixed(2),
        servicesCpuMs: ms(r.servicesCpuMs),
        rateFloorMs: ms(r.rateFloorMs),
        pathFloorMs: ms(r.pathFloorMs),
        floorMs: ms(r.floorMs),
        slowestChainMs: ms(r.slowestChainMs),
        physicalFloorMs: ms(r.physicalFloorMs),
        physicalRatio: +r.physicalRatio.toFixed(2),
        ratio: +r.ratio.toFixed(2),
      })),
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
