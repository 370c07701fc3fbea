import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LISTED_JSON, listedJson, toListingItem } from '../../functions/listing/items';
import { handleListingRequest, type ListingDeps } from '../../functions/listing/routes';
import { LayerStore, type NewVersion } from '../../functions/store/layer-store';
import { latestKey } from '../../schema/table';
import { startTestTable } from '../support/dynamo';

function version(layerName: string, region: string, extra: Partial<NewVersion> = {}): NewVersion {
  return {
    layerName,
    region,
    version: 3,
    arn: `arn:aws:lambda:${region}:000000000000:layer:${layerName}:3`,
    layerArn: `arn:aws:lambda:${region}:000000000000:layer:${layerName}`,
    sha256: 'a'.repeat(64),
    codeSha256: 'code',
    entry: layerName === 'lamina-bash' ? 'bash' : 'requests',
    kind: layerName === 'lamina-bash' ? 'bash-runtime' : 'python',
    runtimes: layerName === 'lamina-bash' ? ['provided.al2023'] : ['python3.12', 'python3.13'],
    architectures: ['arm64'],
    description: 'a "quoted" description, with </script> and ünïcode',
    size: 100,
    publishedAt: '2026-03-01T00:00:00.000Z',
    ...extra,
  };
}

/**
 * The listing API sends each latest pointer's stored listing JSON as it is. These prove that what it sends is the
 * same, byte for byte, as the listing made from the pointer's attributes, and that a pointer written before
 * pointers stored their JSON is still listed (read again attribute by attribute).
 */
describe("latest pointers' stored listing JSON", () => {
  let table: Awaited<ReturnType<typeof startTestTable>>;
  let store: LayerStore;
  let deps: ListingDeps;
  let calls: string[];
  beforeAll(async () => {
    table = await startTestTable();
    calls = [];
    table.db.middlewareStack.add((next, context) => async (args) => (calls.push(String(context.commandName)), next(args)), { step: 'initialize', name: 'countCalls' });
    store = new LayerStore(table.db, table.table);
    deps = { store, readArtifact: async () => '', cursorSecret: 'test' };
    const at = '2026-03-01T00:00:00.000Z';
    await store.recordPublished(
      version('lamina-requests', 'eu-west-1', {
        packageVersion: '2.32.3',
        verifications: [{ runtime: 'python3.12', architecture: 'arm64', status: 'verified', where: 'local', how: 'python3.12 under qemu', at, summary: 'imports' }],
      }),
      30,
    );
    await store.recordPublished(version('lamina-bash', 'eu-west-1'), 30);
    await store.recordPublished(version('lamina-bash', 'us-east-1'), 30);
  });
  afterAll(() => table.close());

  const get = async (path: string, query = '', accept = 'application/json') => {
    calls.length = 0;
    const response = await handleListingRequest({ method: 'GET', path, query: new URLSearchParams(query), headers: { accept } }, deps);
    return { ...response, calls: [...calls] };
  };

  it('is written with the pointer, equal to the listing of its attributes', async () => {
    const pointer = await store.getLatest('eu-west-1', 'lamina-requests');
    expect(pointer?.[LISTED_JSON]).toBe(listedJson(pointer!));
    expect(JSON.parse(pointer![LISTED_JSON]!)).toEqual(toListingItem(pointer!));
  });

  it('makes the same responses as the attributes do, in every format, with one Query; an older pointer costs a second', async () => {
    const routes: [string, string][] = [
      ['/v1/regions/eu-west-1/layers', ''],
      ['/v1/regions/eu-west-1/layers', 'limit=1'],
      ['/v1/regions/eu-west-1/layers', 'runtime=python3.12'],
      ['/v1/layers/lamina-bash', ''],
    ];
    const accepts = ['application/json', 'text/csv', 'text/html'];
    const stored = [];
    for (const [path, query] of routes) for (const accept of accepts) stored.push(await get(path, query, accept));
    for (const response of stored) {
      expect(response.status).toBe(200);
      expect(response.calls).toEqual(['QueryCommand']);
    }
    const json = JSON.parse(stored[0].body);
    expect(json.items.map((item: { name: string }) => item.name)).toEqual(['lamina-bash', 'lamina-requests']);
    expect(json.items[1]).toMatchObject({ packageVersion: '2.32.3', description: 'a "quoted" description, with </script> and ünïcode' });
    expect(json.items[1].verifications).toEqual([{ runtime: 'python3.12', architecture: 'arm64', status: 'verified', where: 'local', at: '2026-03-01T00:00:00.000Z' }]);
    expect(JSON.parse(stored[3].body).nextCursor).toEqual(expect.any(String));

    // The same pointers without their stored JSON (as written before it existed): the same bytes and headers.
    for (const [region, name] of [['eu-west-1', 'lamina-requests'], ['eu-west-1', 'lamina-bash'], ['us-east-1', 'lamina-bash']]) {
      await table.db.send(new UpdateCommand({ TableName: table.table, Key: { pk: latestKey(region, name).pk, sk: latestKey(region, name).sk }, UpdateExpression: `REMOVE ${LISTED_JSON}` }));
    }
    let i = 0;
    for (const [path, query] of routes) {
      for (const accept of accepts) {
        const response = await get(path, query, accept);
        expect(response.body).toBe(stored[i].body);
        expect(response.headers).toEqual(stored[i].headers);
        expect(response.calls).toEqual(['QueryCommand', 'QueryCommand']);
        i++;
      }
    }
  });
});
