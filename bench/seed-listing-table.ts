import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LAMBDA_REGIONS } from '../functions/regions/lambda-regions';
import { createTableInput, latestKey, regionsKey, type LatestItem } from '../schema/table';
import { LISTED_JSON, listedJson } from '../functions/listing/items';

/**
 * A benchmark fixture: lamina's table filled with the latest pointers of many layers in many regions, written
 * straight through BatchWriteItem (the store's one-by-one writes would take minutes). Keys come from
 * schema/table.ts, so the API reads them exactly as it reads what the pipeline records.
 */

export interface SeedOptions {
  endpoint: string;
  table: string;
  layers: number;
  regions: number;
  /** Whether pointers carry their listing JSON, as recordPublished writes them (true), or not, as before it did. */
  listingJson?: boolean;
  /** BatchWriteItem calls in flight. */
  concurrency?: number;
}

const BATCH = 25;

export const benchLayerName = (index: number) => `lamina-bench-${String(index).padStart(4, '0')}`;

/** The regions the fixture spreads layers over: the first `count` Lambda regions. */
export function benchRegions(count: number): string[] {
  if (count > LAMBDA_REGIONS.length) throw new Error(`only ${LAMBDA_REGIONS.length} Lambda regions are known; ask for fewer`);
  return LAMBDA_REGIONS.slice(0, count);
}

/** A latest pointer as LayerStore.recordPublished writes one: its attributes and its listing JSON. */
function latestItem(index: number, region: string, listingJson: boolean): LatestItem {
  const item = pointerAttributes(index, region);
  return listingJson ? { ...item, [LISTED_JSON]: listedJson(item) } : item;
}

function pointerAttributes(index: number, region: string): LatestItem {
  const layerName = benchLayerName(index);
  const python = index % 3 !== 0;
  const runtime = python ? ['python3.11', 'python3.12', 'python3.13'][index % 3] : 'provided.al2023';
  const architecture = index % 2 === 0 ? 'x86_64' : 'arm64';
  const version = 1 + (index % 7);
  const sha256 = (index.toString(16).padStart(8, '0') + 'ab'.repeat(28)).slice(0, 64);
  return {
    ...latestKey(region, layerName),
    type: 'latest',
    layerName,
    region,
    version,
    arn: `arn:aws:lambda:${region}:123456789012:layer:${layerName}:${version}`,
    layerArn: `arn:aws:lambda:${region}:123456789012:layer:${layerName}`,
    sha256,
    codeSha256: Buffer.from(sha256, 'hex').toString('base64'),
    entry: python ? `package-${index}` : 'bash',
    kind: python ? 'python' : 'bash-runtime',
    runtimes: [runtime],
    architectures: [architecture],
    description: `benchmark layer ${index}`,
    packageVersion: python ? `1.${index % 10}.0` : undefined,
    size: 100_000 + index,
    publishedAt: new Date(Date.UTC(2026, 0, 1 + (index % 28))).toISOString(),
    status: 'latest',
  };
}

/** Creates the table and writes `layers × regions` latest pointers plus the regions record. Returns the item count. */
export async function seedListingTable(options: SeedOptions): Promise<number> {
  const client = new DynamoDBClient({
    endpoint: options.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  try {
    await client.send(new CreateTableCommand(createTableInput(options.table)));
    const regions = benchRegions(options.regions);
    const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    type Put = { PutRequest: { Item: Record<string, unknown> } };
    const requests: Put[] = [{ PutRequest: { Item: { ...regionsKey(), type: 'regions', regions, updatedAt: new Date().toISOString() } } }];
    for (let index = 0; index < options.layers; index++) {
      for (const region of regions) requests.push({ PutRequest: { Item: { ...latestItem(index, region, options.listingJson ?? true) } } });
    }
    const batches: Put[][] = [];
    for (let start = 0; start < requests.length; start += BATCH) batches.push(requests.slice(start, start + BATCH));
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        let pending = batches[next++];
        for (let attempt = 0; pending.length > 0; attempt++) {
          if (attempt > 10) throw new Error('BatchWriteItem kept returning unprocessed items');
          const result = await db.send(new BatchWriteCommand({ RequestItems: { [options.table]: pending } }));
          pending = (result.UnprocessedItems?.[options.table] ?? []) as Put[];
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
    return requests.length;
  } finally {
    client.destroy();
  }
}
