import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LayerStore, type NewVersion } from '../../functions/store/layer-store';
import { versionKey } from '../../schema/table';
import { emptyCounts } from '../../schema/table';
import { expire } from '../../functions/expire/expire';
import { startTestTable } from '../support/dynamo';
import { requestCounter } from '../support/request-count';
import { LISTED_ATTRIBUTES, toListingItem } from '../../functions/listing/items';

const DAY = 24 * 60 * 60 * 1000;

function version(n: number, region = 'us-east-1'): NewVersion {
  return {
    layerName: 'lamina-bash',
    region,
    version: n,
    arn: `arn:aws:lambda:${region}:000000000000:layer:lamina-bash:${n}`,
    layerArn: `arn:aws:lambda:${region}:000000000000:layer:lamina-bash`,
    sha256: `sha${n}`,
    codeSha256: `code${n}`,
    entry: 'bash',
    kind: 'bash-runtime',
    runtimes: ['provided.al2023'],
    architectures: ['x86_64'],
    description: `v${n}`,
    size: 100,
    publishedAt: new Date(2026, 0, n).toISOString(),
  };
}

describe('LayerStore on a real DynamoDB API (dynalite)', () => {
  let table: Awaited<ReturnType<typeof startTestTable>>;
  let store: LayerStore;
  beforeEach(async () => {
    table = await startTestTable();
    store = new LayerStore(table.db, table.table);
  });
  afterEach(() => table.close());

  it('moves the latest pointer forward and deprecates the previous version with its expiry date', async () => {
    const now = new Date('2026-03-01T00:00:00.000Z');
    await store.recordPublished(version(1), 30, now);
    await store.recordPublished(version(2), 30, now);
    expect((await store.getLatest('us-east-1', 'lamina-bash'))?.version).toBe(2);
    const old = await store.getVersion('lamina-bash', 'us-east-1', 1);
    expect(old).toMatchObject({ status: 'deprecated', deprecatedAt: now.toISOString(), expiresAt: new Date(now.getTime() + 30 * DAY).toISOString() });
    expect((await store.listVersions('lamina-bash', 'us-east-1')).items.map((item) => [item.version, item.status])).toEqual([
      [2, 'latest'],
      [1, 'deprecated'],
    ]);
  });

  it('is safe to repeat and to receive out of order', async () => {
    const now = new Date('2026-03-01T00:00:00.000Z');
    await store.recordPublished(version(2), 30, now);
    await store.recordPublished(version(2), 30, now);
    await store.recordPublished(version(1), 30, now);
    expect((await store.getLatest('us-east-1', 'lamina-bash'))?.version).toBe(2);
    expect((await store.getVersion('lamina-bash', 'us-east-1', 1))?.status).toBe('deprecated');
    expect((await store.getVersion('lamina-bash', 'us-east-1', 2))?.status).toBe('latest');
    // A repeat after deprecation keeps the first expiry date.
    const firstExpiry = (await store.getVersion('lamina-bash', 'us-east-1', 1))?.expiresAt;
    await store.recordPublished(version(2), 30, new Date('2026-04-01T00:00:00.000Z'));
    expect((await store.getVersion('lamina-bash', 'us-east-1', 1))?.expiresAt).toBe(firstExpiry);
  });

  it('keeps regions apart', async () => {
    await store.recordPublished(version(1, 'us-east-1'), 30);
    await store.recordPublished(version(1, 'eu-west-1'), 30);
    await store.recordPublished(version(2, 'eu-west-1'), 30);
    expect((await store.getLatest('us-east-1', 'lamina-bash'))?.version).toBe(1);
    expect((await store.listLatestForLayer('lamina-bash')).items.map((item) => `${item.region}:${item.version}`).sort()).toEqual([
      'eu-west-1:2',
      'us-east-1:1',
    ]);
    expect((await store.listLatestInRegion('eu-west-1')).items).toHaveLength(1);
  });

  it('finds versions past their expiry, and Expire deletes them in Lambda and then in the table', async () => {
    const published = new Date('2026-03-01T00:00:00.000Z');
    await store.recordPublished(version(1), 10, published);
    await store.recordPublished(version(2), 10, published);
    await store.recordPublished(version(3), 10, new Date(published.getTime() + 5 * DAY));
    const before = new Date(published.getTime() + 9 * DAY);
    expect((await store.listExpired(before)).items).toEqual([]);
    const after = new Date(published.getTime() + 11 * DAY);
    expect((await store.listExpired(after)).items.map((item) => item.version)).toEqual([1]);

    const deleted: string[] = [];
    const failing = new Set(['never']);
    const result = await expire(undefined, {
      store,
      apiFor: (region: string) => ({
        deleteVersion: async (layerName: string, n: number) => {
          if (failing.has(`${region}:${n}`)) throw new Error('boom');
          deleted.push(`${region}:${layerName}:${n}`);
        },
      }),
      now: () => new Date(published.getTime() + 20 * DAY),
    });
    expect(deleted).toEqual(['us-east-1:lamina-bash:1', 'us-east-1:lamina-bash:2']);
    expect(result).toMatchObject({ deleted: 2, failed: 0, invocations: 1, done: true });
    expect(result.expired.map((item) => [item.version, item.status])).toEqual([
      [1, 'deleted'],
      [2, 'deleted'],
    ]);
    expect((await store.getVersion('lamina-bash', 'us-east-1', 1))?.status).toBe('deleted');
    expect((await store.listExpired(new Date(published.getTime() + 99 * DAY))).items).toEqual([]);
  });

  it('keeps a version whose deletion failed in the expiry index for the next run', async () => {
    const now = new Date('2026-03-01T00:00:00.000Z');
    await store.recordPublished(version(1), 0, now);
    await store.recordPublished(version(2), 0, now);
    const logged: string[] = [];
    const result = await expire(undefined, {
      store,
      apiFor: () => ({ deleteVersion: async () => Promise.reject(new Error('TooManyRequestsException')) }),
      now: () => new Date(now.getTime() + DAY),
      log: (line) => logged.push(line),
    });
    expect(result).toMatchObject({ deleted: 0, failed: 1, invocations: 1, done: true });
    expect(logged).toEqual([expect.stringMatching(/could not delete .*:1: TooManyRequestsException/)]);
    expect((await store.listExpired(new Date(now.getTime() + DAY))).items.map((item) => item.version)).toEqual([1]);
  });

  it('records builds with the inputs that made them, and runs newest first', async () => {
    await store.putBuild({
      layerName: 'lamina-bash',
      sha256: 'abc',
      codeSha256: 'q6w=',
      size: 1,
      unzippedSize: 2,
      inputHash: 'in1',
      artifactKey: 'layers/lamina-bash/abc.zip',
      description: 'd',
      builtAt: '2026-01-01T00:00:00.000Z',
    });
    expect(await store.getInput('lamina-bash', 'in1')).toMatchObject({ sha256: 'abc' });
    expect(await store.getBuild('lamina-bash', 'abc')).toMatchObject({ artifactKey: 'layers/lamina-bash/abc.zip' });
    expect(await store.getInput('lamina-bash', 'other')).toBeUndefined();
    const counts = emptyCounts();
    await store.putRun({ runId: 'r1', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: 'x', counts, targets: 0, failures: [] });
    await store.putRun({ runId: 'r2', startedAt: '2026-01-02T00:00:00.000Z', finishedAt: 'x', counts, targets: 0, failures: [] });
    expect((await store.listRuns()).items.map((run) => run.runId)).toEqual(['r2', 'r1']);
  });
  it('reads only the listed attributes when asked (the listing API), with the same paging, filters and listing items', async () => {
    const now = new Date('2026-03-01T00:00:00.000Z');
    for (const name of ['lamina-a', 'lamina-b', 'lamina-c']) {
      await store.recordPublished(
        {
          ...version(1),
          layerName: name,
          arn: `arn:aws:lambda:us-east-1:000000000000:layer:${name}:1`,
          verifications: [{ runtime: 'provided.al2023', architecture: 'x86_64', status: 'verified', where: 'local', how: 'bash on this machine', at: now.toISOString(), summary: 'ran' }],
        },
        30,
        now,
      );
    }
    const full = await store.listLatestInRegion('us-east-1', { limit: 2 });
    const listed = await store.listLatestInRegion('us-east-1', { limit: 2 }, undefined, LISTED_ATTRIBUTES);
    // Only those attributes came back: no keys, no size, no layerArn...
    for (const item of listed.items) expect(Object.keys(item).every((key) => (LISTED_ATTRIBUTES as readonly string[]).includes(key))).toBe(true);
    expect(Object.keys(full.items[0])).toEqual(expect.arrayContaining(['pk', 'sk', 'size', 'layerArn']));
    // ...and the listing sees exactly what it sees of the whole items, on the same pages.
    expect(listed.items.map(toListingItem)).toEqual(full.items.map(toListingItem));
    expect(listed.items[0].verifications).toHaveLength(1);
    expect(listed.lastKey).toEqual(full.lastKey);
    const next = await store.listLatestInRegion('us-east-1', { limit: 2, startKey: listed.lastKey }, undefined, LISTED_ATTRIBUTES);
    expect(next.items.map((item) => item.layerName)).toEqual(['lamina-c']);
    // A filter's own names sit beside the projection's.
    const filtered = await store.listLatestInRegion(
      'us-east-1',
      {},
      { FilterExpression: 'contains(#layerName, :q)', ExpressionAttributeNames: { '#layerName': 'layerName' }, values: { ':q': '-b' } },
      LISTED_ATTRIBUTES,
    );
    expect(filtered.items.map((item) => item.layerName)).toEqual(['lamina-b']);
    const everywhere = await store.listLatestForLayer('lamina-a', {}, LISTED_ATTRIBUTES);
    expect(everywhere.items.map(toListingItem)).toEqual((await store.listLatestForLayer('lamina-a')).items.map(toListingItem));
  });

  it('writes a first pointer settled at once, and takes the ordinary order where an older version is still marked latest', async () => {
    const now = new Date('2026-03-01T00:00:00.000Z');
    expect(await store.recordPublished(version(1), 30, now)).toEqual({ record: true, deprecated: [], latest: true });
    expect(await store.getLatest('us-east-1', 'lamina-bash')).toMatchObject({ version: 1, settled: true });
    // A crash once left version 1 recorded without its pointer: recording version 2 deprecates it, then settles.
    await table.db.send(new PutCommand({ TableName: table.table, Item: { ...version(1, 'eu-west-1'), ...versionKey('lamina-bash', 'eu-west-1', 1), type: 'version', status: 'latest' } }));
    const changes = await store.recordPublished(version(2, 'eu-west-1'), 30, now);
    expect(changes).toEqual({
      record: true,
      deprecated: [{ version: 1, arn: version(1, 'eu-west-1').arn, deprecatedAt: now.toISOString(), expiresAt: new Date(now.getTime() + 30 * DAY).toISOString() }],
      latest: true,
    });
    expect(await store.getLatest('eu-west-1', 'lamina-bash')).toMatchObject({ version: 2, settled: true });
    expect(await store.getVersion('lamina-bash', 'eu-west-1', 1)).toMatchObject({ status: 'deprecated' });
  });

  it('never writes a first pointer settled over one written since its query (an older version recorded meanwhile)', async () => {
    const now = new Date('2026-03-01T00:00:00.000Z');
    const other = new LayerStore(table.db, table.table);
    let raced = false;
    // Right after this store's query for older versions still latest (none), another Publish records version 1.
    const db = Object.create(table.db) as DynamoDBDocumentClient;
    db.send = (async (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
      const result = await table.db.send(command as never);
      if (command instanceof QueryCommand && !raced) {
        raced = true;
        await other.recordPublished(version(1), 30, now);
      }
      return result;
    }) as DynamoDBDocumentClient['send'];
    const racing = new LayerStore(db, table.table);
    const changes = await racing.recordPublished(version(2), 30, now);
    expect(raced).toBe(true);
    expect({ latest: changes.latest, deprecated: changes.deprecated.map((old) => old.version) }).toEqual({ latest: true, deprecated: [1] });
    expect(await store.getLatest('us-east-1', 'lamina-bash')).toMatchObject({ version: 2, settled: true });
    expect(await store.getVersion('lamina-bash', 'us-east-1', 1)).toMatchObject({ status: 'deprecated' });
  });

  it('says when a newer version is latest already: this one deprecated, the pointer not its own', async () => {
    const now = new Date('2026-03-01T00:00:00.000Z');
    await store.recordPublished(version(2), 30, now);
    const changes = await store.recordPublished(version(1), 30, now);
    expect({ latest: changes.latest, deprecated: changes.deprecated.map((old) => old.version) }).toEqual({ latest: false, deprecated: [1] });
  });

  it('claims a new item in one write and says it is fresh; the owner again keeps what it published; another run waits for the lease', async () => {
    const now = Date.parse('2026-03-01T00:00:00.000Z');
    const first = await store.claimPublish('lamina-bash', 'us-east-1', 'sha', 'run-1', 60_000, now, true);
    expect(first).toMatchObject({ won: true, fresh: true, claim: { owner: 'run-1', leaseUntil: now + 60_000 } });
    expect(await store.getClaim('lamina-bash', 'us-east-1', 'sha')).toMatchObject({ owner: 'run-1' });
    // A retried step of the same run: not fresh, and it keeps when it claimed.
    const again = await store.claimPublish('lamina-bash', 'us-east-1', 'sha', 'run-1', 60_000, now + 1000, true);
    expect(again).toMatchObject({ won: true, fresh: false, claim: { owner: 'run-1', leaseUntil: now + 61_000, claimedAt: new Date(now).toISOString() } });
    expect(await store.claimPublish('lamina-bash', 'us-east-1', 'sha', 'run-2', 60_000, now + 2000, true)).toMatchObject({ won: false, holder: { owner: 'run-1' } });
    // Once the lease ran out (or the owner released it) another run takes it.
    expect(await store.claimPublish('lamina-bash', 'us-east-1', 'sha', 'run-2', 60_000, now + 62_000, true)).toMatchObject({
      won: true,
      fresh: false,
      claim: { owner: 'run-2', claimedAt: new Date(now + 62_000).toISOString() },
    });
  });

  it('reads nothing first for a version published just now, and writes version 1 settled in two writes', async () => {
    const now = new Date('2026-03-01T00:00:00.000Z');
    const counter = requestCounter();
    try {
      await counter.count('v1', async () => {
        await store.recordNewVersion(version(1), 'run-1');
        await store.recordPublished(version(1), 30, now, { publishedNow: true });
      });
      expect(counter.of('v1')).toEqual({ 'DynamoDB.PutItem': 2 });
      expect(await store.getLatest('us-east-1', 'lamina-bash')).toMatchObject({ version: 1, settled: true });
      expect(await store.getVersion('lamina-bash', 'us-east-1', 1)).toMatchObject({ status: 'latest', publishedBy: 'run-1' });
      const changes = await counter.count('v2', async () => {
        await store.recordNewVersion(version(2), 'run-2');
        return store.recordPublished(version(2), 30, now, { publishedNow: true });
      });
      expect(counter.of('v2')).toEqual({ 'DynamoDB.PutItem': 2, 'DynamoDB.Query': 1, 'DynamoDB.UpdateItem': 2 });
      expect({ latest: changes.latest, deprecated: changes.deprecated.map((old) => old.version) }).toEqual({ latest: true, deprecated: [1] });
      expect(await store.getLatest('us-east-1', 'lamina-bash')).toMatchObject({ version: 2, settled: true });
      // A repeat (not published just now) reads the records first, and says which run published the version.
      const again = await counter.count('again', () => store.recordPublished(version(2), 30, now));
      expect(counter.of('again')).toEqual({ 'DynamoDB.BatchGetItem': 1, 'DynamoDB.PutItem': 2, 'DynamoDB.Query': 1, 'DynamoDB.UpdateItem': 1 });
      expect(again.publishedBy).toBe('run-2');
      expect(await store.getVersion('lamina-bash', 'us-east-1', 2)).toMatchObject({ publishedBy: 'run-2' });
    } finally {
      counter.close();
    }
  });
});
