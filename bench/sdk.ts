/**
 * `npm run bench:sdk`: the CPU one AWS SDK request costs the process that sends it, with the clients lamina makes
 * (functions/aws/), against the embedded services (bench/services-process.ts: dynalite, s3rver, the Lambda and SSM
 * stand-ins) in a process of their own. Not a test: it prints numbers.
 *
 * Each checkout measured runs in a process of its own (this one, and BENCH_SDK_BASELINE, another checkout of lamina,
 * e.g. `git worktree add /tmp/api-base main`), making its requests through its own modules (LayerStore, LayerApi,
 * ParameterStore, ArtifactStore): whole process against whole process. Requests go one at a time in blocks of
 * BLOCK; the processes take turns block by block, in alternating order, round by round over every operation, so a
 * change in the machine's load falls on every checkout and operation alike. Figures are the median over blocks of the sending process's CPU (user + system) per request.
 *
 * Environment: BENCH_SDK_BASELINE (a checkout), BENCH_SDK_REQUESTS (2000 per operation and checkout).
 */
import { spawn, fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { median } from './whole-process';
import { benchRegions, seedListingTable } from './seed-listing-table';

const REQUESTS = Number(process.env.BENCH_SDK_REQUESTS ?? 2000);
const BLOCK = 50;
const WARM_UP = 300;
const TABLE = 'lamina-bench-sdk';
const LAYER = 'lamina-bench-sdk-layer';
const PARAMETER = '/lamina/bench/sdk';
const OBJECT_KEY = 'bench/sdk-object';
const PAGE_KEY = { pk: 'BENCH#page', sk: 'PAGE#1' };

/** The operations, in the order the table prints them. */
const OPERATIONS = [
  ['get', 'DynamoDB GetItem (LayerStore.getLayer)'],
  ['put', 'DynamoDB PutItem (LayerStore.putLayer)'],
  ['query', 'DynamoDB Query, 100 items (the region listing\'s read)'],
  ['page', 'DynamoDB GetItem of one 48 KB item (the same 100 listings as one item)'],
  ['lambda', 'Lambda ListLayerVersions (LayerApi.newestVersion)'],
  ['ssm', 'SSM GetParameter (ParameterStore.get)'],
  ['s3', 'S3 HeadObject (ArtifactStore.exists)'],
] as const;
type Operation = (typeof OPERATIONS)[number][0];

// ---- a measured process ----------------------------------------------------------------------------------------
/** Runs in the child: the operations through the modules of the checkout at `root`. */
async function runClient(root: string): Promise<void> {
  const load = (file: string) => import(path.join(root, file));
  const { LayerStore } = await load('functions/store/layer-store');
  const { LayerApi } = await load('functions/aws/lambda-layers');
  const { ParameterStore } = await load('functions/aws/ssm-parameters');
  const { ArtifactStore } = await load('functions/aws/artifacts');
  const dynamodb = await load('functions/aws/dynamodb');
  const { GetItemCommand } = await import('@aws-sdk/client-dynamodb');
  const region = process.env.AWS_REGION!;
  const store = new LayerStore();
  const layers = new LayerApi(region, undefined, 1e9, 1e9);
  const parameters = new ParameterStore(region);
  const artifacts = ArtifactStore.fromEnvironment();
  // The page item is read the way a plain command is in this checkout: its plain client where it has one.
  const plain = dynamodb.dynamoClient?.() ?? dynamodb.documentClient();
  const listingRegion = benchRegions(1)[0];
  let n = 0;
  const operations: Record<Operation, () => Promise<unknown>> = {
    get: () => store.getLayer(LAYER),
    put: () =>
      store.putLayer({ layerName: LAYER, entry: 'requests', kind: 'python', runtimes: ['python3.12'], architectures: ['arm64'], description: 'bench', updatedAt: `2026-01-01T00:00:${String(n++ % 60).padStart(2, '0')}.000Z` }),
    query: async () => {
      const page = await store.listLatestInRegion(listingRegion, { limit: 100 }, undefined, ['listingV1']);
      if (page.items.length !== 100) throw new Error(`the listing Query read ${page.items.length} items, not 100`);
    },
    page: () => plain.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: PAGE_KEY.pk }, sk: { S: PAGE_KEY.sk } } })),
    lambda: () => layers.newestVersion(LAYER),
    ssm: () => parameters.get(PARAMETER),
    s3: () => artifacts.exists(OBJECT_KEY),
  };
  process.on('message', async (message: { operation: Operation; count: number }) => {
    const run = operations[message.operation];
    const start = process.cpuUsage();
    for (let i = 0; i < message.count; i++) await run();
    const used = process.cpuUsage(start);
    process.send!({ cpuMs: (used.user + used.system) / 1000 });
  });
  for (const [operation] of OPERATIONS) for (let i = 0; i < WARM_UP; i++) await operations[operation]();
  process.send!({ ready: true });
}

// ---- the run ---------------------------------------------------------------------------------------------------
async function startServices(stateDir: string): Promise<{ env: Record<string, string>; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'services-process.ts'), stateDir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(() => {
    throw new Error('the services process (bench/services-process.ts) exited before it printed its environment');
  });
  const [line] = (await Promise.race([once(lines, 'line'), exited])) as [string];
  return { env: JSON.parse(line) as Record<string, string>, child };
}

/** The fixture every checkout reads: 100 listed pointers, a layer record, a page item, a parameter, an object. */
async function seed(env: Record<string, string>): Promise<void> {
  Object.assign(process.env, env);
  await seedListingTable({ endpoint: env.AWS_ENDPOINT_URL_DYNAMODB, table: TABLE, layers: 100, regions: 1 });
  const { LayerStore } = await import('../functions/store/layer-store');
  const { documentClient } = await import('../functions/aws/dynamodb');
  const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
  const { ParameterStore } = await import('../functions/aws/ssm-parameters');
  const { ArtifactStore } = await import('../functions/aws/artifacts');
  const store = new LayerStore(undefined, TABLE);
  const listing = await store.listLatestInRegion(benchRegions(1)[0], { limit: 100 }, undefined, ['listingV1']);
  const page = listing.items.map((item) => item.listingV1).join(',');
  await documentClient().send(new PutCommand({ TableName: TABLE, Item: { ...PAGE_KEY, page } }));
  await store.putLayer({ layerName: LAYER, entry: 'requests', kind: 'python', runtimes: ['python3.12'], architectures: ['arm64'], description: 'bench', updatedAt: '2026-01-01T00:00:00.000Z' });
  await new ParameterStore(env.AWS_REGION).put(PARAMETER, 'bench value');
  const file = path.join(os.tmpdir(), `lamina-bench-sdk-${process.pid}`);
  await import('node:fs/promises').then((fs) => fs.writeFile(file, 'bench object'));
  await ArtifactStore.fromEnvironment().putFile(OBJECT_KEY, file, 'text/plain');
  rmSync(file, { force: true });
}

interface Measured {
  label: string;
  child: ChildProcess;
}

function startClient(label: string, root: string, env: Record<string, string>): Promise<Measured> {
  const child = fork(__filename, ['--role', 'client', root], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve({ label, child }));
    child.once('exit', (code) => reject(new Error(`the ${label} process exited (${code}) before it was ready`)));
  });
}

function block(measured: Measured, operation: Operation): Promise<number> {
  return new Promise((resolve) => {
    measured.child.once('message', (message: { cpuMs: number }) => resolve(message.cpuMs / BLOCK));
    measured.child.send({ operation, count: BLOCK });
  });
}

async function main(): Promise<void> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'lamina-bench-sdk-'));
  const children: ChildProcess[] = [];
  try {
    const services = await startServices(stateDir);
    children.push(services.child);
    const env = { ...services.env, LAMINA_TABLE: TABLE, LAMINA_CONTROL_PLANE_RATE: '1000000000' };
    await seed(env);
    const baseline = process.env.BENCH_SDK_BASELINE;
    const checkouts: [string, string][] = [...(baseline ? [['baseline', path.resolve(baseline)] as [string, string]] : []), ['this checkout', path.resolve(__dirname, '..')]];
    const measured: Measured[] = [];
    for (const [label, root] of checkouts) {
      const client = await startClient(label, root, env);
      children.push(client.child);
      measured.push(client);
    }
    const loadBefore = os.loadavg().map((l) => l.toFixed(1)).join(' ');
    const blocks = Math.max(1, Math.round(REQUESTS / BLOCK));
    // Round by round, every operation on every checkout: a slow spell of the machine spreads over all of them.
    const perBlock = new Map(OPERATIONS.map(([operation]) => [operation, measured.map(() => [] as number[])]));
    for (let b = 0; b < blocks; b++) {
      for (const [operation] of OPERATIONS) {
        const order = measured.map((_, i) => i);
        if (b % 2) order.reverse();
        for (const m of order) perBlock.get(operation)![m].push(await block(measured[m], operation));
      }
    }
    const figures: Record<string, Record<string, number>> = Object.fromEntries(
      OPERATIONS.map(([operation]) => [operation, Object.fromEntries(measured.map((m, i) => [m.label, +median(perBlock.get(operation)![i]).toFixed(3)]))]),
    );
    const loadAfter = os.loadavg().map((l) => l.toFixed(1)).join(' ');

    console.log(`AWS SDK CPU per request, the sending process's (user + system), median of ${blocks} blocks of ${BLOCK} requests per operation and checkout\n`);
    const header = ['operation', ...measured.map((m) => `${m.label} (ms)`), ...(measured.length > 1 ? ['this / baseline'] : [])];
    const rows = OPERATIONS.map(([operation, title]) => {
      const values = measured.map((m) => figures[operation][m.label]);
      return [title, ...values.map((v) => v.toFixed(3)), ...(values.length > 1 ? [(values[1] / values[0]).toFixed(2)] : [])];
    });
    const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
    for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
    console.log(`\nThe services ran in a process of their own; ${os.cpus().length} cores; load average before: ${loadBefore}, after: ${loadAfter}.`);
    console.log(JSON.stringify({ bench: 'sdk', requestsPerOperation: blocks * BLOCK, loadBefore, loadAfter, cpuMsPerRequest: figures }));
  } finally {
    for (const child of children) {
      if (child.connected) child.disconnect();
      if (child.stdin) child.stdin.end();
      child.kill();
    }
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const role = process.argv.indexOf('--role');
if (role >= 0) {
  runClient(process.argv[role + 2]).catch((error) => {
    console.error(error);
    process.exit(1);
  });
  process.on('disconnect', () => process.exit(0));
} else {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
