/**
 * `npm run bench:publish`: how close publishing gets to what Lambda's control plane allows. The local pipeline (the
 * real state machine file, handlers and services) publishes one layer, then 20 layers, to 34 regions, against the
 * layer-API emulator with a latency on every call and Lambda's rate of requests per region (over it: 429).
 *
 * The floor is the larger of the rate bound (the most calls any region received ÷ the rate) and the critical path
 * (the calls one layer makes in one region, one after the other, × the mean latency); the ratio is wall time ÷
 * floor. Target: within 1.5× of the floor. Prints a table, then one JSON line. Not a test: it checks nothing.
 *
 * Environment: BENCH_LATENCY_MS (default 100-300), BENCH_RATE (default 15 requests per second per region),
 * BENCH_REGIONS (default 34), BENCH_LAYERS (default 1,20: the scenarios).
 */
import * as os from 'node:os';
import { LAMBDA_REGIONS } from '../functions/regions/lambda-regions';

const LATENCY = process.env.BENCH_LATENCY_MS ?? '100-300';
const RATE = Number(process.env.BENCH_RATE ?? 15);
const REGIONS = LAMBDA_REGIONS.slice(0, Number(process.env.BENCH_REGIONS ?? 34));
const SCENARIOS = (process.env.BENCH_LAYERS ?? '1,20').split(',').map(Number);

function catalogOf(layers: number): string {
  const lines = ['settings:', '  prefix: bench', `  regions: [${REGIONS.join(', ')}]`, 'layers:'];
  for (let i = 0; i < layers; i++) lines.push(`  - name: bash${i}`, '    kind: bash-runtime', `    description: bench layer ${i}`);
  return `${lines.join('\n')}\n`;
}

interface Figures {
  layers: number;
  regions: number;
  wallMs: number;
  /** CPU time of the whole process (pipeline, handlers and local services) during the run. */
  cpuMs: number;
  published: number;
  failed: number;
  maxCallsPerRegion: number;
  throttled: number;
  callsPerPublish: number;
  rateFloorMs: number;
  pathFloorMs: number;
  floorMs: number;
  ratio: number;
}

async function scenario(layers: number, meanLatency: number): Promise<Figures> {
  // The emulator reads its pacing when it starts, i.e. in startLocalPipeline.
  process.env.LAMINA_EMULATOR_LATENCY_MS = LATENCY;
  process.env.LAMINA_EMULATOR_REQUESTS_PER_SECOND = String(RATE);
  // lamina's own limiter paces at the quota the emulator enforces, as it paces at Lambda's when deployed (the test
  // support would otherwise lift it).
  process.env.LAMINA_CONTROL_PLANE_RATE = String(RATE);
  const { startLocalPipeline } = await import('../test/support/local-pipeline');
  const pipeline = await startLocalPipeline(catalogOf(layers));
  try {
    const pacing = pipeline.services.emulator!.pacing;
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    const { summary } = await pipeline.run();
    const wallMs = performance.now() - start;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const calls = [...pacing.calls.values()];
    const maxCallsPerRegion = Math.max(...calls);
    const throttled = [...pacing.throttled.values()].reduce((a, b) => a + b, 0);
    // Admitted calls of one layer in one region run one after the other: that chain is the critical path.
    const admittedPerRegion = maxCallsPerRegion - Math.max(...REGIONS.map((r) => pacing.throttled.get(r) ?? 0));
    const callsPerPublish = admittedPerRegion / layers;
    const rateFloorMs = ((maxCallsPerRegion - Math.max(...REGIONS.map((r) => pacing.throttled.get(r) ?? 0))) / RATE) * 1000;
    const pathFloorMs = callsPerPublish * meanLatency;
    const floorMs = Math.max(rateFloorMs, pathFloorMs);
    const counts = summary.counts as Record<string, number>;
    return {
      layers,
      regions: REGIONS.length,
      wallMs,
      cpuMs,
      published: counts.published ?? 0,
      failed: counts.failed ?? 0,
      maxCallsPerRegion,
      throttled,
      callsPerPublish,
      rateFloorMs,
      pathFloorMs,
      floorMs,
      ratio: wallMs / floorMs,
    };
  } finally {
    await pipeline.close();
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
  const results: Figures[] = [];
  for (const layers of SCENARIOS) results.push(await scenario(layers, meanLatency));
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const header = ['scenario', 'wall', 'CPU (per publish)', 'published / failed', 'calls per region (429s)', 'rate floor', 'critical path', 'floor', 'wall / floor'];
  const rows = results.map((r) => [
    `${r.layers} layer${r.layers === 1 ? '' : 's'} x ${r.regions} regions`,
    s(r.wallMs),
    `${s(r.cpuMs)} (${(r.cpuMs / Math.max(1, r.published + r.failed)).toFixed(1)} ms)`,
    `${r.published} / ${r.failed}`,
    `${r.maxCallsPerRegion} (${r.throttled} refused in all)`,
    s(r.rateFloorMs),
    `${s(r.pathFloorMs)} (${r.callsPerPublish.toFixed(1)} calls)`,
    s(r.floorMs),
    `${r.ratio.toFixed(2)}x`,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  console.log(
    `\nlocal pipeline (handlers loaded before timing), emulator latency ${LATENCY} ms per call, ${RATE} requests/s per region (429 over it; lamina paces itself at it); load average before: ${loadBefore}\n`,
  );
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
  console.log('\nfloor = max(admitted calls per region / rate, calls of one layer in one region x mean latency); target: wall / floor <= 1.5');
  console.log(JSON.stringify({ bench: 'publish', latencyMs: LATENCY, ratePerRegion: RATE, scenarios: results.map((r) => ({ ...r, wallMs: Math.round(r.wallMs), cpuMs: Math.round(r.cpuMs), rateFloorMs: Math.round(r.rateFloorMs), pathFloorMs: Math.round(r.pathFloorMs), floorMs: Math.round(r.floorMs), ratio: +r.ratio.toFixed(2) })) }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
