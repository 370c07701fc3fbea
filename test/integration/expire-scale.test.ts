import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, tableName } from '../../functions/aws/dynamodb';
import { EXPIRE_PAGE_SIZE } from '../../functions/expire/expire';
import { LayerStore } from '../../functions/store/layer-store';
import { expiryIndexKey, versionKey, type VersionItem } from '../../schema/table';
import { startLocalPipeline, type LocalPipeline } from '../support/local-pipeline';

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-south-1'];
const PER_REGION = 700;

/** Deprecated versions whose expiry date has passed, written straight into the table. */
async function seedDueVersions(): Promise<void> {
  const due = '2026-01-01T00:00:00.000Z';
  const items: VersionItem[] = REGIONS.flatMap((region) =>
    Array.from({ length: PER_REGION }, (_, index) => {
      const version = index + 1;
      return {
        ...versionKey('lamina-old', region, version),
        ...expiryIndexKey(due, 'lamina-old', region, version),
        type: 'version',
        layerName: 'lamina-old',
        region,
        version,
        arn: `arn:aws:lambda:${region}:000000000000:layer:lamina-old:${version}`,
        layerArn: `arn:aws:lambda:${region}:000000000000:layer:lamina-old`,
        sha256: 's',
        codeSha256: 'c',
        entry: 'old',
        kind: 'bash-runtime',
        runtimes: ['provided.al2023'],
        architectures: ['x86_64'],
        description: 'old',
        size: 1,
        publishedAt: due,
        status: 'deprecated',
        deprecatedAt: due,
        expiresAt: due,
      } as VersionItem;
    }),
  );
  const db = documentClient();
  for (let start = 0; start < items.length; start += 25) {
    const batch = items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } }));
    await db.send(new BatchWriteCommand({ RequestItems: { [tableName()]: batch } }));
  }
}

describe('Expire with thousands of due deletions', () => {
  let pipeline: LocalPipeline;
  beforeAll(async () => {
    pipeline = await startLocalPipeline('settings:\n  prefix: lamina\n  regions: [us-east-1]\nlayers:\n  - name: bash\n    kind: bash-runtime\n');
    await seedDueVersions();
  });
  afterAll(() => {
    delete process.env.LAMINA_EXPIRE_BUDGET_MS;
    return pipeline?.close();
  });

  it('deletes them page by page in the state machine, returning counts only, and leaves failed ones for the next run', async () => {
    // One page per invocation (a full last page leaves one empty page to read): the state machine's Expire loop pages.
    process.env.LAMINA_EXPIRE_BUDGET_MS = '1';
    // ap-south-1 refuses every deletion this run.
    pipeline.services.emulator!.injectFault({ region: 'ap-south-1', operation: 'DeleteLayerVersion', errorType: 'InvalidParameterValueException', statusCode: 400 });
    let result;
    try {
      result = await pipeline.run();
    } finally {
      pipeline.services.emulator!.clearFaults();
    }
    const total = REGIONS.length * PER_REGION;
    expect(result.expire).toEqual({ deleted: total - PER_REGION, failed: PER_REGION, invocations: Math.floor(total / EXPIRE_PAGE_SIZE) + 1, done: true });
    // Counts, not a list: the execution's output stays small whatever the number of deletions.
    expect(Buffer.byteLength(JSON.stringify(result.execution.output))).toBeLessThan(4096);
    const expireTasks = result.execution.history.events.filter((event) => event.type === 'TaskScheduled' && event.details?.name === 'Expire');
    expect(expireTasks).toHaveLength(Math.floor(total / EXPIRE_PAGE_SIZE) + 1);
    const store = new LayerStore();
    expect(await store.getVersion('lamina-old', 'us-east-1', 1)).toMatchObject({ status: 'deleted' });
    expect(await store.getVersion('lamina-old', 'ap-south-1', 1)).toMatchObject({ status: 'deprecated' });

    const next = await pipeline.run();
    expect(next.expire).toMatchObject({ deleted: PER_REGION, failed: 0, done: true });
  }, 600_000);
});
