import { DynamoDBClient, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { forgetClients } from '../../functions/aws/clients';
import { listingReadClient } from '../../functions/aws/dynamodb';
import { sdkQuery, type QueryAnswer } from '../../functions/aws/dynamodb-query-request';
import { handleListingRequest, type ListingDeps } from '../../functions/listing/routes';
import { LayerStore } from '../../functions/store/layer-store';
import { benchLayerName, benchRegions, seedListingTable } from '../../bench/seed-listing-table';
import { startTestTable } from '../support/dynamo';

const LAYERS = 150;
const [REGION, OTHER_REGION, EMPTY_REGION] = benchRegions(3);
const SDK_SETTINGS = ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;

/**
 * The listing's Queries through the process's lean signed request (functions/aws/dynamodb-query-request.ts) and
 * through the SDK client, on dynalite: every listing request answers the same through both, and every Query the
 * listing sent answers the same through both, with no Query left to the SDK by the lean request.
 */
describe("the listing's lean signed Query against the SDK, on dynalite", () => {
  let dynamo: Awaited<ReturnType<typeof startTestTable>>;
  let sdkClient: DynamoDBClient;
  const saved: Partial<Record<(typeof SDK_SETTINGS)[number], string>> = {};
  /** Every Query the lean request answered (the listing's own inputs), with its answer. */
  const sent: { input: QueryCommandInput; answer: QueryAnswer }[] = [];
  let handedToSdk = 0;

  beforeAll(async () => {
    dynamo = await startTestTable('lamina-lean-unused');
    await seedListingTable({ endpoint: dynamo.endpoint, table: 'lamina-lean', layers: LAYERS, regions: 2 });
    // Pointers written before pointers carried their listing JSON: the listing reads their attributes instead.
    await seedListingTable({ endpoint: dynamo.endpoint, table: 'lamina-lean-old', layers: 30, regions: 1, listingJson: false });
    for (const name of SDK_SETTINGS) saved[name] = process.env[name];
    Object.assign(process.env, { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'lean', AWS_SECRET_ACCESS_KEY: 'lean' });
    delete process.env.AWS_SESSION_TOKEN;
    forgetClients('DYNAMODB');
    const reader = listingReadClient();
    const query = reader.query.bind(reader);
    reader.query = async (input) => {
      const answer = await query(input);
      sent.push({ input, answer });
      return answer;
    };
    const send = reader.client.send.bind(reader.client) as (...args: unknown[]) => Promise<unknown>;
    (reader.client as unknown as { send: typeof send }).send = (...args) => {
      handedToSdk++;
      return send(...args);
    };
    sdkClient = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'sdk', secretAccessKey: 'sdk' } });
  });

  afterAll(async () => {
    sdkClient.destroy();
    forgetClients('DYNAMODB');
    for (const name of SDK_SETTINGS) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    await dynamo.close();
  });

  const deps = (table: string, store: LayerStore): ListingDeps => ({
    store,
    readArtifact: () => Promise.reject(new Error('no artifacts here')),
    cursorSecret: `secret-of-${table}`,
  });
  /** The listing on the process's clients (the lean request) and on a DynamoDB client of its own (the SDK's Query). */
  const both = (table: string) => ({
    lean: deps(table, new LayerStore(undefined, table)),
    sdk: deps(table, new LayerStore(DynamoDBDocumentClient.from(sdkClient), table)),
  });
  const get = (path: string, deps: ListingDeps) => {
    const [pathname, query = ''] = path.split('?');
    return handleListingRequest({ method: 'GET', path: pathname, query: new URLSearchParams(query), headers: { accept: 'application/json' } }, deps);
  };

  /** Every page of `path`, following nextCursor, through both; each page answered alike. Returns the listed names. */
  async function listAlike(table: string, path: string): Promise<{ names: string[]; pages: number }> {
    const { lean, sdk } = both(table);
    const names: string[] = [];
    let pages = 0;
    let cursor: string | undefined;
    do {
      const paged = cursor ? `${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}` : path;
      const [mine, theirs] = [await get(paged, lean), await get(paged, sdk)];
      expect(mine.status).toBe(200);
      expect(mine).toEqual(theirs);
      const body = JSON.parse(mine.body) as { items: { name: string }[]; nextCursor?: string | null };
      names.push(...body.items.map((item) => item.name));
      cursor = body.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    return { names, pages };
  }

  it("a region's listing, page after page (LastEvaluatedKey, then ExclusiveStartKey), answers alike", async () => {
    const listed = await listAlike('lamina-lean', `/v1/regions/${REGION}/layers`);
    expect(listed.pages).toBe(2);
    expect(new Set(listed.names).size).toBe(LAYERS);
  });

  it('a page limit, a filtered listing, an empty one and a layer across regions (GSI1) answer alike', async () => {
    const limited = await listAlike('lamina-lean', `/v1/regions/${OTHER_REGION}/layers?limit=7`);
    expect(listed(limited)).toBe(LAYERS);
    expect(limited.pages).toBe(Math.ceil(LAYERS / 7));
    const filtered = await listAlike('lamina-lean', `/v1/regions/${REGION}/layers?runtime=python3.12&arch=arm64&limit=20`);
    expect(filtered.names.length).toBeGreaterThan(0);
    expect(filtered.names.length).toBeLessThan(LAYERS);
    expect((await listAlike('lamina-lean', `/v1/regions/${EMPTY_REGION}/layers`)).names).toEqual([]);
    expect((await listAlike('lamina-lean', `/v1/regions/${REGION}/layers?q=no-such-layer`)).names).toEqual([]);
    expect((await listAlike('lamina-lean', `/v1/layers/${benchLayerName(3)}`)).names).toEqual([benchLayerName(3), benchLayerName(3)]);
  });

  it("pointers without their listing JSON (read attribute by attribute: numbers, lists, maps) answer alike", async () => {
    expect(listed(await listAlike('lamina-lean-old', `/v1/regions/${REGION}/layers?limit=12`))).toBe(30);
  });

  it('every Query the listing sent answers the same through the SDK, and the lean request answered each itself', async () => {
    expect(sent.length).toBeGreaterThan(40);
    expect(sent.some(({ input }) => input.ExclusiveStartKey)).toBe(true);
    expect(sent.some(({ input }) => input.FilterExpression)).toBe(true);
    expect(sent.some(({ input }) => input.IndexName)).toBe(true);
    expect(sent.some(({ answer }) => answer.Items?.length === 0)).toBe(true);
    for (const { input, answer } of sent) expect(answer).toEqual(await sdkQuery(sdkClient, input));
    expect(handedToSdk).toBe(0);
  });
});

const listed = ({ names }: { names: string[] }) => new Set(names).size;
