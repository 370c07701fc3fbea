/**
 * `npm run bench:api`: the listing API (the same Lambda handler, behind `lamina serve`'s HTTP adapter) on
 * 127.0.0.1 over dynalite seeded with 1,000 layers × 30 regions, loaded by autocannon. Prints p50, p99 and
 * requests per second for the region listing and the per-layer route against the 50 ms p99 target. Not a test:
 * it prints numbers and fails only when a request fails.
 *
 * Three processes, so the load generator does not share an event loop with what it measures: this one
 * (autocannon), the API, and dynalite standing in for DynamoDB.
 *
 * Each scenario runs twice: uncached (every request is one DynamoDB Query) and with the API's response cache
 * (LAMINA_LISTING_CACHE_SECONDS, off by default in the API).
 *
 * Environment: BENCH_LAYERS (1000), BENCH_REGIONS (30), BENCH_CONNECTIONS (100), BENCH_SECONDS (8, per
 * scenario and API), BENCH_REQUESTS (30000, likewise: whichever bound comes first ends it), BENCH_ROUNDS (2: each
 * route is measured on each API in that many rounds of alternating order; p50 is the rounds' median, p99 their
 * highest), BENCH_CACHE_SECONDS (5),
 * BENCH_API_PROFILE (a folder: the API process runs with --cpu-prof and writes its profile there when it ends),
 * BENCH_API_BASELINE (another checkout of lamina, e.g. a `git worktree` of the commit before a change: its API,
 * uncached, runs too, over the same dynalite in the same run (its own table, seeded as its code writes it: with the
 * pointers' listing JSON where its code has them),
 * so before and after are side by side).
 */
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { benchLayerName, benchRegions, seedListingTable } from './seed-listing-table';
import { median } from './whole-process';
import { DynamoDBClient, QueryCommand, type DynamoDBClientConfig, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { CLIENT_SETTINGS } from '../functions/aws/endpoints';
import { SERVE_NODE_FLAGS } from '../local/commands';

const LAYERS = Number(process.env.BENCH_LAYERS ?? 1000);
const REGIONS = Number(process.env.BENCH_REGIONS ?? 30);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CACHE_SECONDS = Number(process.env.BENCH_CACHE_SECONDS ?? 5);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 30_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
/**
 * The API processes run with `lamina serve`'s node flags (SERVE_NODE_FLAGS, local/commands: a young generation sized
 * for the requests in flight), as `lamina serve` runs; one more uncached API runs without them, to show what they do.
 */
const API_FLAGS = [...SERVE_NODE_FLAGS];
const TARGET_P99_MS = 50;
const TABLE = 'lamina-bench';
const BASELINE_TABLE = 'lamina-bench-baseline';

// ---- child processes -----------------------------------------------------------------------------------------
async function runDynalite(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as (options: Record<string, unknown>) => import('node:http').Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  server.listen(0, '127.0.0.1', () => process.send!({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
}

async function runApi(): Promise<void> {
  const { startListingServer } = await import('../local/commands/serve');
  const { LayerStore } = await import('../functions/store/layer-store');
  const { ResponseCache } = await import('../functions/listing/response-cache');
  const deps = {
    store: new LayerStore(),
    readArtifact: () => Promise.reject(new Error('no artifact store in the benchmark')),
    cache: ResponseCache.fromEnvironment(),
  };
  const server = await startListingServer({ deps: () => deps });
  process.send!({ url: server.url });
}

function start(role: string, env: Record<string, string> = {}, script = __filename, flags: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const profile = role === 'api' && process.env.BENCH_API_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_API_PROFILE] : [];
  const child = fork(script, ['--role', role], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, ...flags, ...profile],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message: { url: string }) => resolve({ child, url: message.url }));
    child.once('exit', (code) => reject(new Error(`the ${role} process exited (${code}) before it was ready`)));
  });
}

// ---- the handler in process ------------------------------------------------------------------------------------
const IN_PROCESS_REQUESTS = Number(process.env.BENCH_IN_PROCESS_REQUESTS ?? 1000);
const IN_PROCESS_WARM_UP = Number(process.env.BENCH_IN_PROCESS_WARM_UP ?? 1000);

/**
 * CPU per request of the listing handler itself (routes.ts over LayerStore and the SDK), called in a process of its
 * own (handlerMeasures) one request at a time, in blocks of 50 that alternate between the current code and the baseline checkout's: the
 * API's own cost without the HTTP server, steady even when the machine's load is not.
 */
async function handlerInProcess(env: Record<string, string>, scenarios: Scenario[], baseline: string | undefined) {
  Object.assign(process.env, env);
  type Handle = (request: unknown, deps: unknown) => Promise<{ status: number; body: string }>;
  const codes: { label: string; handle: Handle; deps: unknown }[] = [];
  for (const [label, root, table] of [
    ...(baseline ? [['in process, baseline', path.resolve(baseline), BASELINE_TABLE]] : []),
    ['in process', path.resolve(__dirname, '..'), TABLE],
  ] as [string, string, string][]) {
    const { LayerStore } = await import(path.join(root, 'functions', 'store', 'layer-store'));
    const { handleListingRequest } = await import(path.join(root, 'functions', 'listing', 'routes'));
    const deps = { store: new LayerStore(undefined, table), readArtifact: () => Promise.reject(new Error('no artifact store in the benchmark')) };
    codes.push({ label, handle: handleListingRequest, deps });
  }
  const rows: string[] = [];
  const figures: Array<Record<string, unknown>> = [];
  const requestOf = (scenario: Scenario) => (i: number) => {
    const [pathname, query = ''] = scenario.paths[i % scenario.paths.length].split('?');
    return { method: 'GET', path: pathname, query: new URLSearchParams(query), headers: { accept: 'application/json' } };
  };
  // Every route warms up before any is measured: a young process's first thousand requests cost more (its code is
  // not optimised yet, its heap is small and collected often), which fell on the first route alone.
  for (const scenario of scenarios) for (const code of codes) for (let i = 0; i < IN_PROCESS_WARM_UP; i++) await code.handle(requestOf(scenario)(i), code.deps);
  for (const scenario of scenarios) {
    const request = requestOf(scenario);
    const bodies: string[] = [];
    for (const code of codes) bodies.push((await code.handle(request(0), code.deps)).body);
    if (bodies.some((body) => body !== bodies[0])) throw new Error(`${scenario.paths[0]}: the baseline and the current code answer differently`);
    const cpu = codes.map(() => 0);
    for (let block = 0; block < IN_PROCESS_REQUESTS / 50; block++) {
      const order = codes.map((_, i) => i);
      if (block % 2) order.reverse();
      for (const c of order) {
        const start = process.cpuUsage();
        for (let i = 0; i < 50; i++) await codes[c].handle(request(block * 50 + i), codes[c].deps);
        const used = process.cpuUsage(start);
        cpu[c] += (used.user + used.system) / 1000;
      }
    }
    codes.forEach((code, c) => {
      const perRequest = cpu[c] / (Math.floor(IN_PROCESS_REQUESTS / 50) * 50);
      figures.push({ route: scenario.paths[0].replace(/\/v1\/regions\/[^/]+/, '/v1/regions/{region}').replace(/\/v1\/layers\/[^/?]+/, '/v1/layers/{name}'), mode: code.label, cpuMsPerRequest: +perRequest.toFixed(3) });
      rows.push(`  ${scenario.name.padEnd(64)}  ${code.label.padEnd(20)}  ${perRequest.toFixed(2)} ms`);
    });
  }
  return { rows, figures };
}

/**
 * Where the region listing's CPU goes, in the same process, in alternating blocks like the handler's: the whole handler;
 * the handler's own code (its store answers at once with a page read before: routing, the JSON body, ETag, cursor);
 * its read alone (LayerStore's one Query of 100 stored listings, the lean signed request of
 * functions/aws/dynamodb-query-request.ts, which fails the benchmark if it hands any Query to its SDK client); the
 * same Query through an SDK client (as the listing sent it before: what the lean request saves) and the SDK's own
 * part of that (its recorded answer handed back by a request handler that does no I/O: middleware, signing,
 * serialising, parsing), and the same with each answer handed back after 3 ms of idling (what waiting for DynamoDB
 * adds to the same work); JSON.parse of that answer alone; and the same Query as one plain keep-alive HTTP POST,
 * unsigned (dynalite does not check), its body read whole and parsed: what moving those bytes costs, the lean
 * request's floor. The handler less the read is the listing's own code.
 */
async function listingBreakdown(env: Record<string, string>, region: string) {
  Object.assign(process.env, env);
  const { LayerStore } = await import('../functions/store/layer-store');
  const { handleListingRequest } = await import('../functions/listing/routes');
  const { latestPrefix } = await import('../schema/table');
  const { LISTED_JSON } = await import('../functions/listing/items');
  const store = new LayerStore(undefined, TABLE);
  const deps = { store, readArtifact: () => Promise.reject(new Error('no artifact store in the benchmark')) };
  const { pk, skPrefix } = latestPrefix(region);
  const body = JSON.stringify({
    TableName: TABLE,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ProjectionExpression: '#p0',
    ExpressionAttributeNames: { '#p0': LISTED_JSON },
    ExpressionAttributeValues: { ':pk': { S: pk }, ':prefix': { S: skPrefix } },
    Limit: 100,
  });
  const agent = new http.Agent({ keepAlive: true });
  const endpoint = new URL(env.AWS_ENDPOINT_URL_DYNAMODB);
  const postRaw = () =>
    new Promise<Buffer>((resolve, reject) => {
      const request = http.request(
        {
          host: endpoint.hostname,
          port: endpoint.port,
          method: 'POST',
          path: '/',
          agent,
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': 'DynamoDB_20120810.Query',
            'x-amz-date': '20260101T000000Z',
            authorization: 'AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
            'content-length': Buffer.byteLength(body),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve(Buffer.concat(chunks)));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  const post = async () => (JSON.parse((await postRaw()).toString()) as { Items: unknown[] }).Items.length;
  const answer = await postRaw();
  if ((JSON.parse(answer.toString()) as { Items: unknown[] }).Items.length !== 100) throw new Error('the plain Query did not read 100 items');
  // The SDK with the recorded answer and no I/O: what it costs besides its HTTP exchange. The answer is handed over
  // whole, as one Buffer, as the listing's read client's handler does (functions/aws/buffered-http-handler.ts).
  const cannedClient = (wait?: () => Promise<unknown>) =>
    new DynamoDBClient({
      ...CLIENT_SETTINGS,
      requestHandler: {
        handle: async () => {
          await wait?.();
          // A copy each time: the SDK takes over the Buffer it is given (it changes its prototype).
          return { response: { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'bench' }, body: Buffer.from(answer) } };
        },
      } as unknown as NonNullable<DynamoDBClientConfig['requestHandler']>,
    });
  const canned = cannedClient();
  // The same, each answer coming after the process idled 3 ms, as DynamoDB's does: the code that runs after a wait
  // costs more than when it runs back to back (its caches went cold), which the real read pays on every request.
  const cannedAfterIdle = cannedClient(() => new Promise((resolve) => setTimeout(resolve, 3)));
  const cannedQuery = new QueryCommand(JSON.parse(body) as QueryCommandInput);
  const { listingReadClient } = await import('../functions/aws/dynamodb');
  const { BufferedHttpHandler } = await import('../functions/aws/buffered-http-handler');
  const { unmarshall } = await import('@aws-sdk/util-dynamodb');
  // Every Query the store's lean request hands to its SDK client is counted: its read's row is the lean request's only if none was.
  let fallbacks = 0;
  const fallbackClient = listingReadClient().client;
  const fallbackSend = fallbackClient.send.bind(fallbackClient) as (command: QueryCommand) => Promise<unknown>;
  (fallbackClient as unknown as { send: typeof fallbackSend }).send = (command) => {
    fallbacks++;
    return fallbackSend(command);
  };
  // The same Query through an SDK client as the listing sent it before the lean request: its answers read whole.
  const sdkClient = new DynamoDBClient({ ...CLIENT_SETTINGS, requestHandler: new BufferedHttpHandler() });
  const sdkQuery = new QueryCommand(JSON.parse(body) as QueryCommandInput);
  const sdkRead = async () => ((await sdkClient.send(sdkQuery)).Items ?? []).map((item) => unmarshall(item));
  if ((await sdkRead()).length !== 100) throw new Error('the SDK Query did not read 100 items');
  const page = await store.listLatestInRegion(region, { limit: 100 }, undefined, [LISTED_JSON]);
  const ownDeps = { store: { ...store, listLatestInRegion: async () => page } as unknown as typeof store, readArtifact: deps.readArtifact };
  const request = () => ({ method: 'GET', path: `/v1/regions/${region}/layers`, query: new URLSearchParams(), headers: { accept: 'application/json' } });
  const kb = (answer.length / 1000).toFixed(0);
  const parts: [label: string, run: () => Promise<unknown>][] = [
    ['the handler', () => handleListingRequest(request(), deps)],
    ['  its own code (body, ETag, cursor)', () => handleListingRequest(request(), ownDeps)],
    ['  its read (LayerStore, the lean signed Query)', () => store.listLatestInRegion(region, { limit: 100 }, undefined, [LISTED_JSON])],
    ['  the same Query through the SDK client', sdkRead],
    ['    the SDK without I/O (answer canned)', () => canned.send(cannedQuery)],
    ['    the same, each answer after 3 ms idle', () => cannedAfterIdle.send(cannedQuery)],
    [`    JSON.parse of the answer (${kb} KB)`, async () => JSON.parse(answer.toString())],
    ['  the same Query, a plain HTTP POST', post],
  ];
  for (const [, run] of parts) for (let i = 0; i < IN_PROCESS_WARM_UP; i++) await run();
  const perBlock = parts.map(() => [] as number[]);
  for (let block = 0; block < IN_PROCESS_REQUESTS / 50; block++) {
    const order = parts.map((_, i) => i);
    if (block % 2) order.reverse();
    for (const p of order) {
      const start = process.cpuUsage();
      for (let i = 0; i < 50; i++) await parts[p][1]();
      const used = process.cpuUsage(start);
      perBlock[p].push((used.user + used.system) / 1000 / 50);
    }
  }
  agent.destroy();
  sdkClient.destroy();
  if (fallbacks > 0) throw new Error(`the lean signed Query handed ${fallbacks} Queries to the SDK`);
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const figures = Object.fromEntries(parts.map(([label], p) => [label.trim(), { median: +median(perBlock[p]).toFixed(3), mean: +mean(perBlock[p]).toFixed(3) }]));
  const rows = parts.map(([label], p) => `  ${label.padEnd(50)}  median ${median(perBlock[p]).toFixed(2)} ms, mean ${mean(perBlock[p]).toFixed(2)} ms`);
  return { rows, figures };
}

// ---- load ----------------------------------------------------------------------------------------------------
interface Scenario {
  name: string;
  paths: string[];
}

async function load(url: string, scenario: Scenario, connections: number, seconds: number, amount: number) {
  let next = 0;
  const instance = autocannon({
    url,
    connections,
    amount,
    // `amount` would override `duration`; the timer below bounds the time instead.
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: scenario.paths[next++ % scenario.paths.length] }) }],
    headers: { accept: 'application/json' },
  });
  const timer = setTimeout(() => (instance as unknown as { stop(): void }).stop(), seconds * 1000);
  const result = await instance;
  clearTimeout(timer);
  return result;
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

/** CPU milliseconds a process has used, in all or in the kernel only (Linux /proc; undefined elsewhere). */
function cpuMs(pid: number | undefined, kernelOnly = false): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return (((kernelOnly ? 0 : Number(fields[11])) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const regions = benchRegions(REGIONS);
  console.log(`lamina listing API benchmark: ${LAYERS} layers × ${REGIONS} regions, ${CONNECTIONS} connections, ≤ ${SECONDS} s or ${REQUESTS} requests per scenario`);
  const children: ChildProcess[] = [];
  try {
    const dynamo = await start('dynalite');
    children.push(dynamo.child);
    const seedStart = Date.now();
    const baseline = process.env.BENCH_API_BASELINE;
    const items = await seedListingTable({ endpoint: dynamo.url, table: TABLE, layers: LAYERS, regions: REGIONS });
    // The baseline reads a table as its own code wrote it: pointers carry their listing JSON only where its code has them.
    if (baseline) {
      const { LISTED_JSON } = (await import(path.join(path.resolve(baseline), 'functions', 'listing', 'items'))) as { LISTED_JSON?: string };
      await seedListingTable({ endpoint: dynamo.url, table: BASELINE_TABLE, layers: LAYERS, regions: REGIONS, listingJson: LISTED_JSON !== undefined });
    }
    console.log(`seeded ${items} items with BatchWriteItem in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);
    const apiEnv = {
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      LAMINA_TABLE: TABLE,
    };
    const layerPaths = Array.from({ length: 50 }, (_, i) => `/v1/layers/${benchLayerName((i * 37) % LAYERS)}`);
    const scenarios: Scenario[] = [
      { name: 'region listing   GET /v1/regions/{region}/layers (100 per page)', paths: regions.slice(0, 10).map((r) => `/v1/regions/${r}/layers`) },
      { name: 'per-layer route  GET /v1/layers/{name} (30 regions)', paths: layerPaths },
      {
        name: 'filtered listing GET /v1/regions/{region}/layers?runtime=&arch=',
        paths: regions.slice(0, 10).map((r) => `/v1/regions/${r}/layers?runtime=python3.12&arch=arm64`),
      },
    ];
    // Uncached, every request is one DynamoDB Query; cached, the API keeps answers CACHE_SECONDS (off by default).
    const modes: { label: string; env: Record<string, string>; script?: string; flags?: string[] }[] = [
      ...(baseline ? [{ label: 'uncached, baseline', env: { LAMINA_TABLE: BASELINE_TABLE }, script: path.join(path.resolve(baseline), 'bench', 'api.ts'), flags: API_FLAGS }] : []),
      { label: 'uncached', env: {}, flags: API_FLAGS },
      { label: 'uncached, no node flags', env: {}, flags: [] },
      { label: `cache ${CACHE_SECONDS}s`, env: { LAMINA_LISTING_CACHE_SECONDS: String(CACHE_SECONDS) }, flags: API_FLAGS },
    ];

    const loadBefore = os.loadavg().map((l) => l.toFixed(1)).join(' ');
    const rows: string[][] = [];
    const figures: Array<Record<string, unknown>> = [];
    let failures = 0;
    // Every API runs at once; each route is measured on each in turn, in ROUNDS rounds of alternating order, so a
    // change in the machine's load during the run falls on all of them alike.
    const apis: { child: ChildProcess; url: string }[] = [];
    for (const mode of modes) {
      const api = await start('api', { ...apiEnv, ...mode.env }, mode.script, mode.flags);
      children.push(api.child);
      apis.push(api);
      // Sanity: every path answers 200 with items before any load.
      for (const scenario of scenarios) {
        const response = await fetch(`${api.url}${scenario.paths[0]}`);
        const body = (await response.json()) as { items?: unknown[] };
        if (response.status !== 200 || !body.items?.length) throw new Error(`${scenario.paths[0]} answered ${response.status} with ${body.items?.length ?? 0} items`);
      }
    }
    // Every API warms up on every route (JIT, connection pools, heap) before any route is measured, so the figures
    // are of warm processes and the first route measured does not pay for the others' warm-up.
    for (const api of apis) for (const scenario of scenarios) await load(api.url, scenario, 10, 2, 1_000);
    for (const scenario of scenarios) {
      const totals = modes.map(() => ({ requests: 0, seconds: 0, failed: 0, cpu: [0, 0, 0], p50: [] as number[], p99: [] as number[] }));
      for (let round = 0; round < ROUNDS; round++) {
        const order = modes.map((_, i) => i);
        if (round % 2 === 1) order.reverse();
        for (const m of order) {
          const api = apis[m];
          const before = [cpuMs(api.child.pid), cpuMs(dynamo.child.pid), cpuMs(api.child.pid, true)];
          const result = await load(api.url, scenario, CONNECTIONS, SECONDS / ROUNDS, Math.ceil(REQUESTS / ROUNDS));
          const after = [cpuMs(api.child.pid), cpuMs(dynamo.child.pid), cpuMs(api.child.pid, true)];
          const total = totals[m];
          total.requests += result.requests.total;
          total.seconds += result.duration;
          total.failed += result.errors + result.non2xx + result.timeouts;
          for (let i = 0; i < 3; i++) total.cpu[i] += (after[i] ?? NaN) - (before[i] ?? NaN);
          total.p50.push(result.latency.p50);
          total.p99.push(result.latency.p99);
        }
      }
      modes.forEach((mode, m) => {
        const total = totals[m];
        failures += total.failed;
        const perRequest = (i: number) => (Number.isFinite(total.cpu[i]) && total.requests > 0 ? (total.cpu[i] / total.requests).toFixed(2) : '?');
        const cpu = (i: number) => (perRequest(i) === '?' ? null : Number(perRequest(i)));
        const p50 = [...total.p50].sort((a, b) => a - b)[Math.floor(total.p50.length / 2)];
        const p99 = Math.max(...total.p99);
        const reqPerSec = total.seconds > 0 ? total.requests / total.seconds : 0;
        figures.push({
          route: scenario.paths[0].replace(/\/v1\/regions\/[^/]+/, '/v1/regions/{region}').replace(/\/v1\/layers\/[^/?]+/, '/v1/layers/{name}'),
          mode: mode.label,
          requests: total.requests,
          p50Ms: p50,
          p99Ms: p99,
          reqPerSec: Math.round(reqPerSec),
          apiCpuMsPerRequest: cpu(0),
          apiKernelCpuMsPerRequest: cpu(2),
          dynaliteCpuMsPerRequest: cpu(1),
        });
        rows.push([
          scenario.name,
          mode.label,
          String(total.requests),
          ms(p50),
          ms(p99),
          reqPerSec.toFixed(0),
          p99 < TARGET_P99_MS ? 'met' : 'missed',
          String(total.failed),
          `${perRequest(0)} (kernel ${perRequest(2)}) / ${perRequest(1)}`,
        ]);
      });
    }
    // Disconnecting ends an API normally (see the role's 'disconnect' handler), so a --cpu-prof profile is written.
    for (const api of apis) {
      await new Promise((resolve) => {
        api.child.once('exit', resolve);
        api.child.disconnect();
      });
    }
    const { inProcess, breakdown } = await handlerMeasures({ env: apiEnv, scenarios, baseline, region: regions[0] });
    const header = ['scenario', 'API', 'requests', 'p50', 'p99', 'req/s', `p99 < ${TARGET_P99_MS} ms`, 'failed', 'CPU ms/request: API (of it in the kernel) / dynalite (target: API < 1 ms uncached)'];
    const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
    console.log('');
    for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
    console.log(
      `\ntarget: p99 under ${TARGET_P99_MS} ms at ${CONNECTIONS} connections. The API, dynalite and autocannon share this machine's ` +
        `${os.cpus().length} cores; load average before the runs: ${loadBefore}, after: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}.\n` +
        `Every API runs with lamina serve's node flags (${API_FLAGS.join(' ')}), but the one marked "no node flags".`,
    );
    console.log(`\nThe handler alone, in a process of its own (no HTTP server, one request at a time, ${IN_PROCESS_REQUESTS} per route, in alternating blocks): CPU ms per request`);
    for (const row of inProcess.rows) console.log(row);
    console.log(`\nWhere the region listing's CPU goes, in that process (medians of blocks of 50, alternating): CPU ms per request`);
    for (const row of breakdown.rows) console.log(row);
    console.log(
      JSON.stringify({ bench: 'api', layers: LAYERS, regions: REGIONS, connections: CONNECTIONS, loadBefore, scenarios: figures, inProcess: inProcess.figures, listingBreakdown: breakdown.figures }),
    );
    if (failures > 0) process.exitCode = 1;
  } finally {
    for (const child of children) child.kill();
  }
}

/** The handler's measures, in a process of their own (the role 'handler'): given their inputs on its IPC channel. */
async function runHandlerMeasures(): Promise<void> {
  const [input] = (await once(process, 'message')) as [{ env: Record<string, string>; scenarios: Scenario[]; baseline?: string; region: string }];
  const inProcess = await handlerInProcess(input.env, input.scenarios, input.baseline);
  const breakdown = await listingBreakdown(input.env, input.region);
  process.send!({ inProcess, breakdown });
}

/**
 * Runs the handler's measures in a new process, so they are a process's that has done nothing else: in this one,
 * the collection of what autocannon left behind fell on the first route measured (2.3-2.7 ms against 1.0-1.5 ms).
 */
async function handlerMeasures(input: { env: Record<string, string>; scenarios: Scenario[]; baseline?: string; region: string }) {
  const child = fork(__filename, ['--role', 'handler'], { env: { ...process.env, ...input.env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the handler measures' process exited (${code}) before it answered`);
  });
  child.send(input);
  const [result] = (await Promise.race([once(child, 'message'), exited])) as [
    { inProcess: Awaited<ReturnType<typeof handlerInProcess>>; breakdown: Awaited<ReturnType<typeof listingBreakdown>> },
  ];
  child.disconnect();
  return result;
}

const role = process.argv.indexOf('--role');
if (role >= 0) {
  const work = { dynalite: runDynalite, handler: runHandlerMeasures }[process.argv[role + 1]] ?? runApi;
  work().catch((error) => {
    console.error(error);
    process.exit(1);
  });
  // The parent's end is ours too.
  process.on('disconnect', () => process.exit(0));
} else {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
