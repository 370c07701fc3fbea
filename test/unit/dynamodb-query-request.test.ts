import { DynamoDBClient, DynamoDBServiceException, QueryCommand, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { ServerResponse } from 'node:http';
import { BufferedHttpHandler } from '../../functions/aws/buffered-http-handler';
import { DynamoDBQueryRequest, queryBody } from '../../functions/aws/dynamodb-query-request';
import { CLIENT_SETTINGS } from '../../functions/aws/endpoints';
import { bySdk, json, signLikeALeanRequest, standIn, type Seen } from '../support/json-stand-in';

const ANSWER = {
  Items: [{ listingV1: { S: '{"name":"lamina-a"}' } }, { listingV1: { S: '{"name":"lamina-b"}' } }],
  Count: 2,
  ScannedCount: 2,
  LastEvaluatedKey: { pk: { S: 'REGION#us-east-1' }, sk: { S: 'LATEST#lamina-b' } },
};

const dynamoError = (type: string, message: string) => ({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message });

/** The listing's region Query, as LayerStore.projectedQuery builds it (QueryInput's member order). */
const QUERY: QueryCommandInput = {
  TableName: 'lamina',
  Limit: 100,
  ExclusiveStartKey: { pk: { S: 'REGION#us-east-1' }, sk: { S: 'LATEST#lamina-a' } },
  ProjectionExpression: '#p0',
  FilterExpression: 'contains(#runtimes, :runtime)',
  KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
  ExpressionAttributeNames: { '#p0': 'listingV1', '#runtimes': 'runtimes' },
  ExpressionAttributeValues: { ':pk': { S: 'REGION#us-east-1' }, ':prefix': { S: 'LATEST#' }, ':runtime': { S: 'python3.12' } },
};

const SESSION: AwsCredentialIdentity = { accessKeyId: 'ASIAFIXED', secretAccessKey: 'fixed-secret', sessionToken: 'fixed-session-token' };

function clientFor(endpoint: string, settings: { credentials?: DynamoDBClient['config']['credentials'] | AwsCredentialIdentity; maxAttempts?: number } = {}) {
  const handler = new BufferedHttpHandler();
  const client = new DynamoDBClient({
    ...CLIENT_SETTINGS,
    retryMode: 'standard',
    maxAttempts: settings.maxAttempts ?? 3,
    endpoint,
    region: 'eu-west-1',
    credentials: settings.credentials ?? SESSION,
    requestHandler: handler,
  });
  return { client, lean: new DynamoDBQueryRequest(client, handler) };
}

let closers: (() => unknown)[] = [];
afterEach(async () => {
  jest.useRealTimers();
  for (const close of closers.reverse()) await close();
  closers = [];
});

async function setUp(answer: Parameters<typeof standIn>[0], settings?: Parameters<typeof clientFor>[1]) {
  const server = await standIn(answer);
  const { client, lean } = clientFor(server.url, settings);
  closers.push(server.close, () => client.destroy());
  return { server, client, lean };
}

describe('the listing\'s lean signed Query (functions/aws/dynamodb-query-request.ts)', () => {
  it('is signed as the SDK signs: the same Authorization, X-Amz-Date, X-Amz-Security-Token and body for the same Query, time and credentials', async () => {
    const { server, client, lean } = await setUp((response) => json(response, 200, ANSWER));
    signLikeALeanRequest(client);
    await client.send(new QueryCommand(QUERY));
    await lean.query(QUERY);
    const [sdk, mine] = server.requests;
    expect(bySdk(sdk)).toBe(false);
    expect(mine.body).toBe(sdk.body);
    expect(mine.body).toBe(queryBody(QUERY));
    for (const name of ['authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256', 'x-amz-target', 'content-type', 'host']) {
      expect([name, mine.headers[name]]).toEqual([name, sdk.headers[name]]);
    }
    expect(mine.headers['x-amz-date']).toBe('20260304T050607Z');
    expect(mine.headers['x-amz-security-token']).toBe('fixed-session-token');
    expect(mine.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIAFIXED\/20260304\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}$/);
  });

  it('answers a clean 200 itself, as the SDK answers it, in one request', async () => {
    const { server, client, lean } = await setUp((response) => json(response, 200, ANSWER));
    const mine = await lean.query(QUERY);
    expect(server.requests.map(bySdk)).toEqual([false]);
    const { $metadata: _metadata, ...sdk } = await client.send(new QueryCommand(QUERY));
    expect(mine).toEqual(sdk);
  });

  it("hands a 400 (a missing table) to the SDK: the caller gets the SDK's own error, name and $metadata", async () => {
    const { server, client, lean } = await setUp((response) => json(response, 400, dynamoError('ResourceNotFoundException', 'Requested resource not found')));
    const mine = await lean.query(QUERY).catch((error: unknown) => error);
    expect(server.requests.map(bySdk)).toEqual([false, true]);
    const sdk = await client.send(new QueryCommand(QUERY)).catch((error: unknown) => error);
    expect(mine).toBeInstanceOf(DynamoDBServiceException);
    expect(Object.getPrototypeOf(mine)).toBe(Object.getPrototypeOf(sdk));
    expect((mine as Error).name).toBe('ResourceNotFoundException');
    expect((mine as Error).message).toBe('Requested resource not found');
    expect((mine as DynamoDBServiceException).$metadata).toEqual((sdk as DynamoDBServiceException).$metadata);
    expect((mine as DynamoDBServiceException).$metadata).toMatchObject({ httpStatusCode: 400, requestId: 'stand-in-request', attempts: 1 });
  });

  it('hands a 500 to the SDK, whose retries answer: a failure that lasts is its error after every attempt, one that passes is its answer', async () => {
    const lasting = await setUp((response) => json(response, 500, dynamoError('InternalServerError', 'Internal server error')));
    const error = (await lasting.lean.query(QUERY).catch((e: unknown) => e)) as DynamoDBServiceException;
    expect(error.name).toBe('InternalServerError');
    expect(error.$metadata).toMatchObject({ httpStatusCode: 500, attempts: 3 });
    expect(lasting.server.requests.map(bySdk)).toEqual([false, true, true, true]);
    expect(lasting.server.requests.slice(1).map((request) => request.headers['amz-sdk-request'])).toEqual(['attempt=1; max=3', 'attempt=2; max=3', 'attempt=3; max=3']);

    const passing = await setUp((response, index) => (index < 2 ? json(response, 500, dynamoError('InternalServerError', 'Internal server error')) : json(response, 200, ANSWER)));
    await expect(passing.lean.query(QUERY)).resolves.toEqual(ANSWER);
    expect(passing.server.requests.map(bySdk)).toEqual([false, true, true]);
  });

  it("hands throttling to the SDK's retry, and the next Queries go to the SDK alone for a while", async () => {
    const throttled = (response: ServerResponse) => json(response, 400, dynamoError('ProvisionedThroughputExceededException', 'The level of configured provisioned throughput for the table was exceeded'));
    const { server, lean } = await setUp((response, index) => (index < 3 ? throttled(response) : json(response, 200, ANSWER)), { maxAttempts: 2 });
    const error = (await lean.query(QUERY).catch((e: unknown) => e)) as DynamoDBServiceException;
    expect(error.name).toBe('ProvisionedThroughputExceededException');
    expect(error.$metadata).toMatchObject({ httpStatusCode: 400, attempts: 2 });
    expect(server.requests.map(bySdk)).toEqual([false, true, true]);
    // Within the window the SDK alone sends (paced by its retry strategy), so throttling is not met with two requests each.
    await expect(lean.query(QUERY)).resolves.toEqual(ANSWER);
    expect(server.requests.map(bySdk)).toEqual([false, true, true, true]);
  });

  it('after the window, the lean request answers again', async () => {
    const server = await standIn((response, index) => (index === 0 ? json(response, 503, dynamoError('ServiceUnavailable', 'try again')) : json(response, 200, ANSWER)));
    const handler = new BufferedHttpHandler();
    const client = new DynamoDBClient({ ...CLIENT_SETTINGS, retryMode: 'standard', endpoint: server.url, region: 'eu-west-1', credentials: SESSION, requestHandler: handler });
    closers.push(server.close, () => client.destroy());
    const lean = new DynamoDBQueryRequest(client, handler, 50);
    await expect(lean.query(QUERY)).resolves.toEqual(ANSWER);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await expect(lean.query(QUERY)).resolves.toEqual(ANSWER);
    expect(server.requests.map(bySdk)).toEqual([false, true, false]);
  });

  it('does not return a 200 whose body is not JSON (nor one that is not an answer): the SDK reads the next answer', async () => {
    for (const body of ['<html>a proxy error page</html>', '{"Items": "not a list"}', 'null']) {
      const { server, lean } = await setUp((response, index) => (index === 0 ? json(response, 200, body) : json(response, 200, ANSWER)));
      await expect(lean.query(QUERY)).resolves.toEqual(ANSWER);
      expect(server.requests.map(bySdk)).toEqual([false, true]);
    }
    // When every answer is garbage, the caller gets the SDK's error for it, never the garbage.
    const { lean } = await setUp((response) => json(response, 200, '<html>a proxy error page</html>'));
    await expect(lean.query(QUERY)).rejects.toThrow();
  });

  it('hands a failed connection to the SDK', async () => {
    const { server, lean } = await setUp((response, index) => (index === 0 ? response.socket?.destroy() : json(response, 200, ANSWER)));
    await expect(lean.query(QUERY)).resolves.toEqual(ANSWER);
    expect(server.requests.map(bySdk)).toEqual([false, true]);
  });

  it('leaves binary attribute values (base64 in the JSON, which the SDK decodes) to the SDK, in the Query and in its answer, and legacy members too', async () => {
    const bytes = Buffer.from('bytes').toString('base64');
    for (const item of [{ data: { B: bytes } }, { data: { L: [{ S: 'x' }, { M: { deep: { BS: [bytes] } } }] } }]) {
      const answering = await setUp((response) => json(response, 200, { Items: [item], Count: 1, ScannedCount: 1 }));
      const answer = await answering.lean.query(QUERY);
      expect(answering.server.requests.map(bySdk)).toEqual([false, true]);
      const data = answer.Items![0].data;
      expect(Buffer.from(data.B ?? data.L![1].M!.deep.BS![0]).toString()).toBe('bytes');
    }

    const asking = await setUp((response) => json(response, 200, ANSWER));
    await asking.lean.query({ ...QUERY, ExclusiveStartKey: { pk: { B: Buffer.from('key') } } });
    await asking.lean.query({ ...QUERY, ExpressionAttributeValues: { ':pk': { M: { inner: { BS: [new Uint8Array([1, 2])] } } } } });
    await asking.lean.query({ TableName: 'lamina', KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [{ S: 'REGION#us-east-1' }] } } });
    expect(asking.server.requests.map(bySdk)).toEqual([true, true, true]);
    expect(asking.server.requests[0].body).toContain(`"B":"${Buffer.from('key').toString('base64')}"`);
    // None of those was a failure: the next Query is the lean request's.
    await asking.lean.query(QUERY);
    expect(asking.server.requests.map(bySdk)).toEqual([true, true, true, false]);
  });

  it('signs each request with what the credentials provider gives: keys that change are used on the next request', async () => {
    let keys = 1;
    // Credentials that expire within the SDK's refresh window (5 minutes) are asked for again before each use.
    const provider = async (): Promise<AwsCredentialIdentity> => ({ accessKeyId: `AKIAKEY${keys}`, secretAccessKey: `secret-${keys}`, expiration: new Date(Date.now() + 60_000) });
    const { server, client, lean } = await setUp((response) => json(response, 200, ANSWER), { credentials: provider });
    const credentialOf = (request: Seen) => /Credential=([^/]+)\//.exec(String(request.headers.authorization))?.[1];
    await lean.query(QUERY);
    keys = 2;
    await lean.query(QUERY);
    await client.send(new QueryCommand(QUERY));
    keys = 3;
    await lean.query(QUERY);
    expect(server.requests.map(bySdk)).toEqual([false, false, true, false]);
    expect(server.requests.map(credentialOf)).toEqual(['AKIAKEY1', 'AKIAKEY2', 'AKIAKEY2', 'AKIAKEY3']);
  });
});
