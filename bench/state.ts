/**
 * `npm run bench:state`: what the local emulators' persistence costs per mutation as the state grows. For each
 * catalog size, N layers are published to the 34 regions through the Lambda emulator's store (each publish followed
 * by its public permission, as a run does) and each region's SSM lookup is put through the SSM stand-in (HTTP, as
 * the handlers reach it). Persistence is a snapshot + journal (local/state-folder/journal.ts), so the CPU per
 * mutation should stay flat from the smallest size to the largest (before the journal it grew with the state:
 * 1,000 layers never finished). Prints a table, then one JSON line. Not a test: it checks nothing.
 *
 * Environment: BENCH_STATE_LAYERS (default 100,300,1000).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LAMBDA_REGIONS } from '../functions/regions/lambda-regions';
import { LayerStore } from '../local/lambda-emulator/store';
import { startSsmEmulator } from '../local/ssm-emulator';

const SIZES = (process.env.BENCH_STATE_LAYERS ?? '100,300,1000').split(',').map(Number);

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? await folderBytes(full) : (await stat(full)).size;
  }
  return total;
}

/** CPU microseconds (user + system) that `work` costs this process. */
async function cpuOf(work: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return used.user + used.system;
}

async function lambdaStore(layers: number): Promise<{ cpuMicros: number; mutations: number; bytes: number }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lamina-bench-state-'));
  const store = await LayerStore.open(dir);
  try {
    const cpuMicros = await cpuOf(async () => {
      for (let l = 0; l < layers; l += 1) {
        const data = Buffer.from(`layer ${l}`);
        const sha256Hex = createHash('sha256').update(data).digest('hex');
        const zip = { data, sha256Hex, codeSha256: Buffer.from(sha256Hex, 'hex').toString('base64'), codeSize: data.length, unzippedSize: data.length, entries: [] };
        await Promise.all(
          LAMBDA_REGIONS.map(async (region) => {
            const record = await store.publish(region, `bench-b${l}`, { description: `bench layer ${l}`, compatibleRuntimes: ['provided.al2023'], compatibleArchitectures: ['x86_64', 'arm64'] }, zip as never);
            await store.updatePolicy(region, `bench-b${l}`, record.version, () => ({
              policy: { revisionId: `${l}`, statements: [{ sid: 'lamina-public', action: 'lambda:GetLayerVersion', principal: '*' }] },
              result: undefined,
            }));
          }),
        );
      }
    });
    await store.close();
    return { cpuMicros, mutations: layers * LAMBDA_REGIONS.length * 2, bytes: await folderBytes(path.join(dir, 'regions')) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function ssm(layers: number): Promise<{ cpuMicros: number; mutations: number; bytes: number }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lamina-bench-state-'));
  const emulator = await startSsmEmulator({ dataDir: dir });
  try {
    const put = (region: string, name: string, value: string) =>
      fetch(emulator.url, {
        method: 'POST',
        headers: {
          'x-amz-target': 'AmazonSSM.PutParameter',
          'content-type': 'application/x-amz-json-1.1',
          authorization: `AWS4-HMAC-SHA256 Credential=bench/20260101/${region}/ssm/aws4_request, SignedHeaders=host, Signature=0`,
        },
        body: JSON.stringify({ Name: name, Value: value, Type: 'String', Overwrite: true, Description: 'lamina: the latest version ARN of this layer in this region' }),
      }).then(async (response) => {
        if (!response.ok) throw new Error(`PutParameter: ${response.status} ${await response.text()}`);
      });
    const cpuMicros = await cpuOf(async () => {
      for (let l = 0; l < layers; l += 1) {
        await Promise.all(LAMBDA_REGIONS.map((region) => put(region, `/bench/layers/bench-b${l}/latest`, `arn:aws:lambda:${region}:000000000000:layer:bench-b${l}:1`)));
      }
    });
    await emulator.close();
    return { cpuMicros, mutations: layers * LAMBDA_REGIONS.length, bytes: await folderBytes(dir) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const rows: { layers: number; lambdaMicrosPerMutation: number; lambdaBytes: number; ssmMicrosPerPut: number; ssmBytes: number }[] = [];
  for (const layers of SIZES) {
    const lambda = await lambdaStore(layers);
    const parameters = await ssm(layers);
    rows.push({
      layers,
      lambdaMicrosPerMutation: Math.round(lambda.cpuMicros / lambda.mutations),
      lambdaBytes: lambda.bytes,
      ssmMicrosPerPut: Math.round(parameters.cpuMicros / parameters.mutations),
      ssmBytes: parameters.bytes,
    });
  }
  const header = ['layers x 34 regions', 'Lambda store: CPU µs per mutation', 'on disk', 'SSM stand-in: CPU µs per put (HTTP)', 'on disk'];
  const cells = [header, ...rows.map((row) => [String(row.layers), String(row.lambdaMicrosPerMutation), `${(row.lambdaBytes / 1e6).toFixed(1)} MB`, String(row.ssmMicrosPerPut), `${(row.ssmBytes / 1e6).toFixed(1)} MB`])];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  console.log(cells.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ')).join('\n'));
  const first = rows[0];
  const last = rows[rows.length - 1];
  console.log(`growth from ${first.layers} to ${last.layers} layers: Lambda ${(last.lambdaMicrosPerMutation / first.lambdaMicrosPerMutation).toFixed(2)}x, SSM ${(last.ssmMicrosPerPut / first.ssmMicrosPerPut).toFixed(2)}x per mutation (flat is 1x)`);
  console.log(
    JSON.stringify({
      bench: 'state',
      regions: LAMBDA_REGIONS.length,
      sizes: rows,
      lambdaGrowth: Number((last.lambdaMicrosPerMutation / first.lambdaMicrosPerMutation).toFixed(2)),
      ssmGrowth: Number((last.ssmMicrosPerPut / first.ssmMicrosPerPut).toFixed(2)),
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
