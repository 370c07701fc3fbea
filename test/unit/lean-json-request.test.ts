import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { AddLayerVersionPermissionCommand, LambdaClient, ListLayerVersionsCommand, PublishLayerVersionCommand } from '@aws-sdk/client-lambda';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { AwsCredentialIdentity } from '@smithy/types';
import { DYNAMODB_ITEM_OPERATIONS } from '../../functions/aws/dynamodb-item-requests';
import { LAMBDA_LAYER_OPERATIONS, LEAN_ZIP_BYTES } from '../../functions/aws/lambda-layer-requests';
import { CLIENT_SETTINGS } from '../../functions/aws/endpoints';
import { EventBus, PUT_EVENTS_OPERATION } from '../../functions/aws/eventbridge';
import { LeanClient } from '../../functions/aws/lean-json-request';
import { PUT_PARAMETER_OPERATION } from '../../functions/aws/ssm-parameters';
import { Pacer, paced, pacedClient, pacerOf } from '../../functions/regions/control-plane';
import { bySdk, json, signLikeALeanRequest, standIn } from '../support/json-stand-in';

const SESSION: AwsCredentialIdentity = { accessKeyId: 'ASIAFIXED', secretAccessKey: 'fixed-secret', sessionToken: 'fixed-session-token' };
const settings = (endpoint: string) => ({ ...CLIENT_SETTINGS, retryMode: 'standard', maxAttempts: 3, endpoint, region: 'eu-west-1', credentials: SESSION });

type AnySend = (command: unknown) => Promise<Record<string, unknown>>;

/** Each lean operation: its SDK client, a lean client on it, a command as lamina sends it and a 200 answer. */
const CASES = [
  {
    name: 'DynamoDB PutItem (a claim: a conditional write)',
    contentType: 'application/x-amz-json-1.0',
    make: (endpoint: string) => new LeanClient(new DynamoDBClient(settings(endpoint)), DYNAMODB_ITEM_OPERATIONS),
    command: () =>
      new PutItemCommand({
        TableName: 'lamina',
        Item: { pk: { S: 'CLAIM#lamina-a' }, sk: { S: 'REGION#eu-west-1' }, leaseUntil: { N: '1700000000000' }, runtimes: { L: [{ S: 'python3.12' }] }, done: { BOOL: false } },
        ConditionExpression: 'attribute_not_exists(pk) OR #lease < :now',
        ExpressionAttributeNames: { '#lease': 'leaseUntil' },
        ExpressionAttributeValues: { ':now': { N: '1699999999999' } },
      }),
    answer: {},
  },
  {
    name: 'DynamoDB GetItem (a consistent read of a pointer)',
    contentType: 'application/x-amz-json-1.0',
    make: (endpoint: string) => new LeanClient(new DynamoDBClient(settings(endpoint)), DYNAMODB_ITEM_OPERATIONS),
    command: () => new GetItemCommand({ TableName: 'lamina', Key: { pk: { S: 'REGION#eu-west-1' }, sk: { S: 'LATEST#lamina-a' } }, ConsistentRead: true }),
    answer: { Item: { pk: { S: 'REGION#eu-west-1' }, sk: { S: 'LATEST#lamina-a' }, version: { N: '3' }, tags: { SS: ['a', 'b'] }, meta: { M: { size: { N: '12' }, none: { NULL: true } } } } },
  },
  {
    name: 'SSM PutParameter (a lookup)',
    contentType: 'application/x-amz-json-1.1',
    make: (endpoint: string) => new LeanClient(new SSMClient(settings(endpoint)), [PUT_PARAMETER_OPERATION]),
    command: () => new PutParameterCommand({ Name: '/lamina/layers/lamina-a/latest', Value: 'arn:aws:lambda:eu-west-1:123456789012:layer:lamina-a:3', Type: 'String', Overwrite: true, Description: 'the newest "lamina-a" \u00e9' }),
    answer: { Version: 4, Tier: 'Standard' },
  },
  {
    name: 'EventBridge PutEvents (a publish event, with its time)',
    contentType: 'application/x-amz-json-1.1',
    make: (endpoint: string) => new LeanClient(new EventBridgeClient(settings(endpoint)), [PUT_EVENTS_OPERATION]),
    command: () =>
      new PutEventsCommand({
        Entries: [
          { Source: 'lamina', DetailType: 'Layer Published', Detail: JSON.stringify({ layer: 'lamina-a', region: 'eu-west-1' }), Resources: ['arn:aws:lambda:eu-west-1:123456789012:layer:lamina-a:3'], Time: new Date('2026-03-04T05:06:07.891Z') },
          { Source: 'lamina', DetailType: 'Layer Deprecated', Detail: '{}' },
        ],
      }),
    answer: { FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }, { EventId: 'e-2' }] },
  },
  {
    name: 'Lambda ListLayerVersions (newestVersion: a GET with a query)',
    contentType: 'application/json',
    make: (endpoint: string) => new LeanClient(new LambdaClient(settings(endpoint)), LAMBDA_LAYER_OPERATIONS),
    command: () => new ListLayerVersionsCommand({ LayerName: 'lamina-a', MaxItems: 1 }),
    answer: {
      NextMarker: 'next',
      LayerVersions: [{ LayerVersionArn: 'arn:aws:lambda:eu-west-1:123456789012:layer:lamina-a:3', Version: 3, Description: 'a', CreatedDate: '2026-03-04T05:06:07.000+0000', CompatibleRuntimes: ['python3.12'], CompatibleArchitectures: ['arm64'] }],
    },
  },
  {
    name: 'Lambda PublishLayerVersion (the zip as base64 in a JSON body, answered 201)',
    contentType: 'application/json',
    status: 201,
    make: (endpoint: string) => new LeanClient(new LambdaClient(settings(endpoint)), LAMBDA_LAYER_OPERATIONS),
    command: () =>
      new PublishLayerVersionCommand({
        LayerName: 'lamina-a',
        Description: 'requests 2.32.3 for python3.12 arm64',
        LicenseInfo: 'Apache-2.0',
        CompatibleRuntimes: ['python3.12'],
        CompatibleArchitectures: ['arm64'],
        Content: { ZipFile: new Uint8Array(Buffer.from('PK\u0003\u0004 a zip, or its first bytes')).subarray(2) },
      }),
    answer: {
      Content: { Location: 'https://example.com/zip', CodeSha256: 'c2hh', CodeSize: 25 },
      LayerArn: 'arn:aws:lambda:eu-west-1:123456789012:layer:lamina-a',
      LayerVersionArn: 'arn:aws:lambda:eu-west-1:123456789012:layer:lamina-a:4',
      Description: 'requests 2.32.3 for python3.12 arm64',
      CreatedDate: '2026-03-04T05:06:07.000+0000',
      Version: 4,
      CompatibleRuntimes: ['python3.12'],
      LicenseInfo: 'Apache-2.0',
      CompatibleArchitectures: ['arm64'],
    },
  },
  {
    name: 'Lambda AddLayerVersionPermission (a label with a colon, answered 201)',
    contentType: 'application/json',
    status: 201,
    make: (endpoint: string) => new LeanClient(new LambdaClient(settings(endpoint)), LAMBDA_LAYER_OPERATIONS),
    command: () =>
      new AddLayerVersionPermissionCommand({ LayerName: 'arn:aws:lambda:eu-west-1:123456789012:layer:lamina-a', VersionNumber: 4, StatementId: 'lamina-organization', Action: 'lambda:GetLayerVersion', Principal: '*', OrganizationId: 'o-abc123' }),
    answer: { Statement: '{"Sid":"lamina-organization"}', RevisionId: 'r-1' },
  },
];

let closers: (() => unknown)[] = [];
afterEach(async () => {
  jest.useRealTimers();
  for (const close of closers.reverse()) await close();
  closers = [];
});

async function setUp(testCase: (typeof CASES)[number], answer: Parameters<typeof standIn>[0]) {
  const server = await standIn(answer);
  const lean = testCase.make(server.url);
  closers.push(server.close, () => lean.destroy());
  return { server, lean, send: lean.send as unknown as AnySend, sdk: lean.client.send.bind(lean.client) as unknown as AnySend };
}

const withoutMetadata = ({ $metadata: _metadata, ...output }: Record<string, unknown>) => output;

describe.each(CASES)('a lean $name (functions/aws/lean-json-request.ts)', (testCase) => {
  const ok = (response: Parameters<typeof json>[0]) => json(response, 'status' in testCase ? (testCase.status as number) : 200, testCase.answer, 'stand-in-request', testCase.contentType);

  it('is the request the SDK sends: the same body, Authorization, X-Amz-Date, X-Amz-Target and content type for the same input, time and credentials', async () => {
    const { server, lean, send, sdk } = await setUp(testCase, ok);
    signLikeALeanRequest(lean.client);
    await sdk(testCase.command());
    await send(testCase.command());
    const [theirs, mine] = server.requests;
    expect(bySdk(theirs)).toBe(false);
    expect(mine.body).toBe(theirs.body);
    for (const name of ['authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256', 'x-amz-target', 'content-type', 'host']) {
      expect([name, mine.headers[name]]).toEqual([name, theirs.headers[name]]);
    }
    expect([mine.headers['content-length'], mine.headers['content-type']]).toEqual([theirs.headers['content-length'], theirs.headers['content-type']]);
    expect(mine.url).toBe(theirs.url);
    expect(mine.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIAFIXED\/20260304\/eu-west-1\/[a-z]+\/aws4_request, /);
  });

  it('answers a clean 200 itself, in one request, with the output the SDK gives', async () => {
    const { server, send, sdk } = await setUp(testCase, ok);
    const mine = await send(testCase.command());
    expect(server.requests.map(bySdk)).toEqual([false]);
    expect(withoutMetadata(mine)).toEqual(withoutMetadata(await sdk(testCase.command())));
    expect(mine.$metadata).toEqual({ httpStatusCode: 200 });
  });

  it('hands a 500 to the SDK, whose retries answer', async () => {
    const { server, send } = await setUp(testCase, (response, index) =>
      index < 2 ? json(response, 500, { __type: 'InternalServerError', message: 'try again' }, 'stand-in-request', testCase.contentType) : ok(response),
    );
    expect(withoutMetadata(await send(testCase.command()))).toEqual(withoutMetadata(testCase.answer));
    expect(server.requests.map(bySdk)).toEqual([false, true, true]);
  });

  it('hands a failed connection to the SDK', async () => {
    const { server, send } = await setUp(testCase, (response, index) => (index === 0 ? response.socket?.destroy() : ok(response)));
    await send(testCase.command());
    expect(server.requests.map(bySdk)).toEqual([false, true]);
  });
});

describe('lean writes and reads where the answer is not the operation\'s', () => {
  const [putItem, getItem, putParameter, putEvents] = CASES;

  it("a conditional PutItem that lost is the SDK's ConditionalCheckFailedException for the answer it got, its $metadata the SDK's: one request, not sent again", async () => {
    const lost = (response: Parameters<typeof json>[0]) =>
      json(response, 400, { __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'The conditional request failed' });
    const { server, send, sdk } = await setUp(putItem, lost);
    const mine = await send(putItem.command()).catch((e: unknown) => e);
    expect(server.requests.map(bySdk)).toEqual([false]);
    const theirs = await sdk(putItem.command()).catch((e: unknown) => e);
    expect(mine).toBeInstanceOf(ConditionalCheckFailedException);
    expect(Object.getPrototypeOf(mine)).toBe(Object.getPrototypeOf(theirs));
    expect((mine as Error).message).toBe('The conditional request failed');
    expect((mine as ConditionalCheckFailedException).$metadata).toEqual((theirs as ConditionalCheckFailedException).$metadata);
    expect((mine as ConditionalCheckFailedException).$metadata).toMatchObject({ httpStatusCode: 400, requestId: 'stand-in-request', attempts: 1 });
  });

  it('an answer that is not the operation\'s (a 200 whose body is a proxy\'s page) is the SDK\'s to read: its error, and the request is not sent again', async () => {
    for (const testCase of CASES) {
      const garbage = (response: Parameters<typeof json>[0]) => json(response, 200, '<html>a proxy page</html>', 'stand-in-request', testCase.contentType);
      const { server, send, sdk } = await setUp(testCase, garbage);
      const mine = await send(testCase.command()).catch((e: unknown) => e);
      expect(server.requests.map(bySdk)).toEqual([false]);
      const theirs = await sdk(testCase.command()).catch((e: unknown) => e);
      expect(mine).toBeInstanceOf(Error);
      expect([(mine as Error).name, (mine as Error).message]).toEqual([(theirs as Error).name, (theirs as Error).message]);
    }
  });

  it('binary values (base64, which the SDK encodes and decodes) are the SDK\'s, in the item written and in the item read', async () => {
    const bytes = Buffer.from('bytes');
    const written = await setUp(putItem, (response) => json(response, 200, {}));
    await (written.send as AnySend)(new PutItemCommand({ TableName: 'lamina', Item: { pk: { S: 'a' }, data: { M: { inner: { B: bytes } } } } }));
    expect(written.server.requests.map(bySdk)).toEqual([true]);
    expect(written.server.requests[0].body).toContain(`"B":"${bytes.toString('base64')}"`);

    const read = await setUp(getItem, (response) => json(response, 200, { Item: { pk: { S: 'a' }, data: { L: [{ B: bytes.toString('base64') }] } } }));
    const answer = (await read.send(getItem.command())) as { Item: { data: { L: { B: Uint8Array }[] } } };
    expect(Buffer.from(answer.Item.data.L[0].B).toString()).toBe('bytes');
    // The SDK read the answer the lean request got.
    expect(read.server.requests.map(bySdk)).toEqual([false]);
  });

  it('a PublishLayerVersion of a large zip, or of one in S3, is the SDK\'s alone (its handler waits as long as Lambda takes)', async () => {
    const publish = CASES.find((testCase) => testCase.name.startsWith('Lambda PublishLayerVersion'))!;
    const { server, send } = await setUp(publish, (response) => json(response, 201, publish.answer, 'stand-in-request', 'application/json'));
    await send(new PublishLayerVersionCommand({ LayerName: 'lamina-a', Content: { ZipFile: new Uint8Array(LEAN_ZIP_BYTES + 1) } }));
    await send(new PublishLayerVersionCommand({ LayerName: 'lamina-a', Content: { S3Bucket: 'lamina-stage', S3Key: 'layers/staged/a.zip' } }));
    await send(new PublishLayerVersionCommand({ LayerName: 'lamina-a', Content: { ZipFile: new Uint8Array(LEAN_ZIP_BYTES) } }));
    expect(server.requests.map(bySdk)).toEqual([true, true, false]);
  });

  it('commands of other classes go to the SDK client as they are', async () => {
    const { server, send } = await setUp(putItem, (response) => json(response, 200, { Items: [], Count: 0, ScannedCount: 0 }));
    const { QueryCommand } = await import('@aws-sdk/client-dynamodb');
    await send(new QueryCommand({ TableName: 'lamina', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'a' } } }));
    expect(server.requests.map(bySdk)).toEqual([true]);
  });

  it("EventBus.put names the first entry EventBridge refused, from a lean PutEvents' 200", async () => {
    const server = await standIn((response) =>
      json(response, 200, { FailedEntryCount: 1, Entries: [{ EventId: 'e-1' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'no room' }] }, 'stand-in-request', 'application/x-amz-json-1.1'),
    );
    const lean = putEvents.make(server.url) as LeanClient<EventBridgeClient>;
    closers.push(server.close, () => lean.destroy());
    const entries = ((putEvents.command() as PutEventsCommand).input.Entries ?? []).map((entry) => ({ ...entry }));
    await expect(new EventBus(lean).put(entries)).rejects.toThrow('EventBridge refused 1 of 2 events (Layer Deprecated: InternalFailure no room)');
    expect(server.requests.map(bySdk)).toEqual([false]);
  });
});

describe("Lambda's lean requests are paced as the SDK's attempts are (functions/regions/control-plane.ts)", () => {
  it('each request sent waits for the pacer once; the attempt that reads a lean answer sends nothing and waits for nothing', async () => {
    const server = await standIn((response, index) =>
      index === 0 ? json(response, 429, { Type: 'User', message: 'Rate exceeded' }, 'stand-in-request', 'application/json') : json(response, 200, { LayerVersions: [] }, 'stand-in-request', 'application/json'),
    );
    const lean = new LeanClient(new LambdaClient(settings(server.url)), LAMBDA_LAYER_OPERATIONS, { beforeRequest: (command) => pacerOf(command)?.wait() });
    closers.push(server.close, () => lean.destroy());
    pacedClient(lean);
    let waits = 0;
    const pacer = new Pacer(1000, Date.now, async () => undefined, 1000);
    const wait = pacer.wait.bind(pacer);
    pacer.wait = () => {
      waits += 1;
      return wait();
    };
    const send = lean.send as unknown as AnySend;
    // Throttled: the lean request (one wait), the SDK reads its 429 (no wait), then retries (one wait).
    await send(paced(new ListLayerVersionsCommand({ LayerName: 'lamina-a', MaxItems: 1 }), pacer));
    expect(server.requests.map(bySdk)).toEqual([false, true]);
    expect(waits).toBe(2);
    // Within the SDK-only window after the 429, the SDK sends alone, paced by its middleware.
    await send(paced(new ListLayerVersionsCommand({ LayerName: 'lamina-a', MaxItems: 1 }), pacer));
    expect(server.requests.map(bySdk)).toEqual([false, true, true]);
    expect(waits).toBe(3);
  });
});
