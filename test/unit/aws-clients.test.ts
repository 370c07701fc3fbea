import { LambdaClient, ListLayerVersionsCommand } from '@aws-sdk/client-lambda';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forgetClients, sharedClient } from '../../functions/aws/clients';
import { ArtifactStore } from '../../functions/aws/artifacts';
import { LayerApi } from '../../functions/aws/lambda-layers';
import { ParameterStore } from '../../functions/aws/ssm-parameters';
import { Topics } from '../../functions/aws/sns';
import { EventBus } from '../../functions/aws/eventbridge';
import { documentClient, dynamoClient, leanDynamoClient, listingReadClient, listingReadClientFor, plainClientFor } from '../../functions/aws/dynamodb';
import { LeanClient } from '../../functions/aws/lean-json-request';
import { BufferedHttpHandler } from '../../functions/aws/buffered-http-handler';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBQueryRequest } from '../../functions/aws/dynamodb-query-request';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Pacer } from '../../functions/regions/control-plane';

/** A stand-in for Lambda's ListLayerVersions that counts the calls it gets. */
async function listRecorder(): Promise<{ url: string; readonly calls: number; close: () => Promise<void> }> {
  let calls = 0;
  const server = createServer((request, response) => {
    calls++;
    request.resume();
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ LayerVersions: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get calls() {
      return calls;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The client an object holds (a private field: what the test checks is which client it is). */
const clientOf = (holder: unknown) => (holder as { client?: unknown; s3?: unknown }).client ?? (holder as { s3?: unknown }).s3;

describe('the process keeps one SDK client per service, variant and environment (functions/aws/clients.ts)', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    forgetClients();
    process.env.AWS_REGION = 'eu-west-1';
    process.env.AWS_ACCESS_KEY_ID = 'a';
    process.env.AWS_SECRET_ACCESS_KEY = 'b';
    process.env.AWS_ENDPOINT_URL_LAMBDA = 'http://127.0.0.1:1';
  });
  afterEach(() => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    forgetClients();
  });

  it('the same settings get the same client, as a warm Lambda container reuses its own', () => {
    let made = 0;
    const make = () => ({ made: ++made });
    expect(sharedClient('LAMBDA', 'eu-west-1', make)).toBe(sharedClient('LAMBDA', 'eu-west-1', make));
    expect(made).toBe(1);
    expect(clientOf(new LayerApi('eu-west-1'))).toBe(clientOf(new LayerApi('eu-west-1')));
    expect(clientOf(new ParameterStore('eu-west-1'))).toBe(clientOf(new ParameterStore('eu-west-1')));
    process.env.LAMINA_BUCKET = 'bucket-b';
    expect(clientOf(new ArtifactStore('bucket-a'))).toBe(clientOf(ArtifactStore.fromEnvironment()));
  });

  it('another region or option set gets its own client', () => {
    expect(clientOf(new LayerApi('eu-west-1'))).not.toBe(clientOf(new LayerApi('us-east-1')));
    expect(clientOf(LayerApi.singleAttempt('eu-west-1'))).not.toBe(clientOf(new LayerApi('eu-west-1')));
    expect(clientOf(new ParameterStore('eu-west-1'))).not.toBe(clientOf(new ParameterStore('eu-central-1')));
  });

  it('a new endpoint, region or credentials get a new client; the new client calls the new endpoint', async () => {
    const servers = await Promise.all([listRecorder(), listRecorder()]);
    try {
      process.env.AWS_ENDPOINT_URL_LAMBDA = servers[0].url;
      const first = clientOf(new LayerApi('eu-west-1'));
      await new LayerApi('eu-west-1').newestVersion('lamina-x');
      process.env.AWS_ENDPOINT_URL_LAMBDA = servers[1].url;
      const second = clientOf(new LayerApi('eu-west-1'));
      expect(second).not.toBe(first);
      await new LayerApi('eu-west-1').newestVersion('lamina-x');
      await new LayerApi('eu-west-1').newestVersion('lamina-x');
      expect([servers[0].calls, servers[1].calls]).toEqual([1, 2]);
      expect(clientOf(new LayerApi('eu-west-1'))).toBe(second);
    } finally {
      for (const server of servers) await server.close();
    }

    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:3';
    const third = clientOf(new ParameterStore('eu-west-1'));
    expect(clientOf(new ParameterStore('eu-west-1'))).toBe(third);
    process.env.AWS_ACCESS_KEY_ID = 'c';
    expect(clientOf(new ParameterStore('eu-west-1'))).not.toBe(third);

    const bucketClient = clientOf(new ArtifactStore('bucket'));
    process.env.AWS_REGION = 'us-west-2';
    expect(clientOf(new ArtifactStore('bucket'))).not.toBe(bucketClient);
  });

  it('another service\'s endpoint leaves a client alone', () => {
    const lambda = clientOf(new LayerApi('eu-west-1'));
    process.env.AWS_ENDPOINT_URL_S3 = 'http://127.0.0.1:9';
    expect(clientOf(new LayerApi('eu-west-1'))).toBe(lambda);
  });

  describe('clients build each command class\'s middleware once (cacheMiddleware) unless a command carries its own', () => {
    const cached = (client: unknown) => (client as { config: { cacheMiddleware?: boolean } }).config.cacheMiddleware === true;

    it('S3, SSM, SNS, EventBridge, Lambda (paced by its client) and the plain DynamoDB client cache; the document client does not', () => {
      expect(cached(clientOf(new ArtifactStore('bucket')))).toBe(true);
      expect(cached(clientOf(new ParameterStore('eu-west-1')))).toBe(true);
      expect(cached(clientOf(new Topics()))).toBe(true);
      expect(cached(clientOf(new EventBus()))).toBe(true);
      expect(cached(dynamoClient())).toBe(true);
      expect(cached(clientOf(new LayerApi('eu-west-1')))).toBe(true);
      expect(cached(clientOf(LayerApi.singleAttempt('eu-west-1')))).toBe(true);
      expect(cached(documentClient())).toBe(false);
    });

    it("a store on the process's document client sends plain commands through the plain client (its PutItem and GetItem as lean requests); one on a client of its own, through that", () => {
      expect(plainClientFor(documentClient())).toBe(leanDynamoClient());
      expect(leanDynamoClient()).toBeInstanceOf(LeanClient);
      expect(leanDynamoClient().client).toBe(dynamoClient());
      const own = DynamoDBDocumentClient.from(new DynamoDBClient({}));
      expect(plainClientFor(own)).toBe(own);
    });

    it("the listing's Queries go through the process's lean signed Query, whose SDK client reads answers whole (BufferedHttpHandler); a store on its own client sends them through that", async () => {
      expect(listingReadClientFor(documentClient())).toBe(listingReadClient());
      expect(listingReadClient()).toBeInstanceOf(DynamoDBQueryRequest);
      expect(listingReadClient().client).not.toBe(dynamoClient());
      expect(cached(listingReadClient().client)).toBe(true);
      expect((listingReadClient().client as unknown as { config: { requestHandler: unknown } }).config.requestHandler).toBeInstanceOf(BufferedHttpHandler);
      expect((dynamoClient() as unknown as { config: { requestHandler: unknown } }).config.requestHandler).not.toBeInstanceOf(BufferedHttpHandler);
      const own = DynamoDBDocumentClient.from(new DynamoDBClient({}));
      const sent: unknown[] = [];
      own.send = (async (command: unknown) => {
        sent.push(command);
        return { Items: [{ pk: { S: 'a' } }], Count: 1, ScannedCount: 1, $metadata: {} };
      }) as typeof own.send;
      await expect(listingReadClientFor(own).query({ TableName: 'own-table' })).resolves.toEqual({ Items: [{ pk: { S: 'a' } }], Count: 1, ScannedCount: 1 });
      expect(sent).toHaveLength(1);
      expect(sent[0]).toBeInstanceOf(QueryCommand);
      expect((sent[0] as QueryCommand).input).toEqual({ TableName: 'own-table' });
    });

    it('a cached client still sends each command with its own input', async () => {
      const asked: string[] = [];
      const server = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk) => (body += chunk));
        request.on('end', () => {
          const name = (JSON.parse(body) as { Name: string }).Name;
          asked.push(name);
          response.setHeader('content-type', 'application/x-amz-json-1.1');
          response.end(JSON.stringify({ Parameter: { Name: name, Value: `value of ${name}`, Type: 'String' } }));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        process.env.AWS_ENDPOINT_URL_SSM = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const store = new ParameterStore('eu-west-1');
        expect(cached(clientOf(store))).toBe(true);
        expect([await store.get('/lamina/a'), await store.get('/lamina/b'), await new ParameterStore('eu-west-1').get('/lamina/c')]).toEqual([
          'value of /lamina/a',
          'value of /lamina/b',
          'value of /lamina/c',
        ]);
        expect(asked).toEqual(['/lamina/a', '/lamina/b', '/lamina/c']);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });

  describe('each LayerApi paces its own calls over the shared client', () => {
    let server: Server;
    let endpoint: string;
    const seen: string[] = [];
    let refuse = 0;
    beforeAll(async () => {
      server = createServer((request, response) => {
        seen.push(request.url ?? '');
        request.resume();
        response.setHeader('content-type', 'application/json');
        if (refuse > 0) {
          refuse--;
          response.statusCode = 500;
          response.end(JSON.stringify({ Type: 'Service', message: 'try again' }));
          return;
        }
        response.end(JSON.stringify({ LayerVersions: [] }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    it.each([false, true])('every attempt of a retried call waits for its pacer; another instance has its own pacer (cacheMiddleware: %s)', async (cacheMiddleware) => {
      const client = new LambdaClient({ region: 'eu-west-1', endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 3, retryMode: 'standard', cacheMiddleware });
      const waits: string[] = [];
      const counting = (name: string) => {
        const pacer = new Pacer(1000);
        const wait = pacer.wait.bind(pacer);
        pacer.wait = () => (waits.push(name), wait());
        return pacer;
      };
      const one = new LayerApi('eu-west-1', client, 1000);
      const two = new LayerApi('eu-west-1', client, 1000);
      (one as unknown as { pacer: Pacer }).pacer = counting('one');
      (two as unknown as { pacer: Pacer }).pacer = counting('two');
      seen.length = 0;
      refuse = 2;
      await one.newestVersion('lamina-x');
      expect(seen).toHaveLength(3);
      expect(waits).toEqual(['one', 'one', 'one']);
      await two.newestVersion('lamina-x');
      expect(waits).toEqual(['one', 'one', 'one', 'two']);
      // At once, over the one client (whose cached stack serves both): each request waits for its own pacer.
      waits.length = 0;
      await Promise.all([one.newestVersion('lamina-x'), two.newestVersion('lamina-x'), two.newestVersion('lamina-x')]);
      expect(waits.sort()).toEqual(['one', 'two', 'two']);
      // A command not marked by a LayerApi is not paced (the middleware is the client's).
      await client.send(new ListLayerVersionsCommand({ LayerName: 'lamina-x' }));
      expect(waits).toHaveLength(3);
      client.destroy();
    });
  });
});
