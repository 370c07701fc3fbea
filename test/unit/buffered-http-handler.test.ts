import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpRequest } from '@smithy/types';
import { BufferedHttpHandler } from '../../functions/aws/buffered-http-handler';
import { CLIENT_SETTINGS } from '../../functions/aws/endpoints';

/** A DynamoDB stand-in on 127.0.0.1 answering each request with `answer`; it records each request it gets. */
async function standIn(answer: (request: IncomingMessage, body: string, response: ServerResponse, index: number) => void) {
  const requests: { url?: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      requests.push({ url: request.url, headers: request.headers, body });
      answer(request, body, response, requests.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// Several chunks, so the handler must join them (a single write can arrive as one).
const ITEMS = Array.from({ length: 300 }, (_, i) => ({ listingV1: { S: JSON.stringify({ name: `layer-${i}`, description: 'x'.repeat(200) }) } }));
const QUERY_ANSWER = JSON.stringify({ Items: ITEMS, Count: ITEMS.length, ScannedCount: ITEMS.length, LastEvaluatedKey: { pk: { S: 'REGION#us-east-1' }, sk: { S: 'LATEST#layer-299' } } });

const answerQuery = (_request: IncomingMessage, _body: string, response: ServerResponse) => {
  response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'test' });
  const bytes = Buffer.from(QUERY_ANSWER);
  response.write(bytes.subarray(0, 1000));
  setTimeout(() => response.end(bytes.subarray(1000)), 5);
};

const client = (endpoint: string, handler: BufferedHttpHandler | undefined, maxAttempts = 3) =>
  new DynamoDBClient({
    ...CLIENT_SETTINGS,
    retryMode: 'standard',
    maxAttempts,
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    ...(handler ? { requestHandler: handler } : {}),
  });

const QUERY = {
  TableName: 'lamina',
  KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
  ProjectionExpression: 'listingV1',
  ExpressionAttributeValues: { ':pk': { S: 'REGION#us-east-1' }, ':prefix': { S: 'LATEST#' } },
  Limit: 100,
};

describe("BufferedHttpHandler (the listing read client's request handler)", () => {
  const handlers: BufferedHttpHandler[] = [];
  const handler = (socketTimeoutMs?: number) => {
    const made = new BufferedHttpHandler(socketTimeoutMs);
    handlers.push(made);
    return made;
  };
  afterAll(() => handlers.forEach((made) => made.destroy()));

  it('sends the request the SDK signed and gives it the same answer as its own handler, read whole', async () => {
    const server = await standIn(answerQuery);
    try {
      const own = client(server.url, undefined);
      const buffered = client(server.url, handler());
      const [viaOwn, viaBuffered] = [await own.send(new QueryCommand(QUERY)), await buffered.send(new QueryCommand(QUERY))];
      own.destroy();
      const { $metadata: _a, ...expected } = viaOwn;
      const { $metadata: _b, ...got } = viaBuffered;
      expect(got).toEqual(expected);
      expect(got.Items).toHaveLength(300);
      expect(got.Items![299].listingV1.S).toBe(ITEMS[299].listingV1.S);
      // The request is the SDK's, signed: the same target, body and signature scheme as its own handler sent.
      const [first, second] = server.requests;
      expect(second.body).toBe(first.body);
      expect(second.headers['x-amz-target']).toBe('DynamoDB_20120810.Query');
      expect(second.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=test\//);
      expect(second.headers['content-length']).toBe(String(Buffer.byteLength(second.body)));
    } finally {
      await server.close();
    }
  });

  it('keeps its connections open between requests (undici keeps one spare: requests one after another alternate between two)', async () => {
    const ports = new Set<number>();
    const server = await standIn((request, body, response, index) => {
      ports.add(request.socket.remotePort!);
      answerQuery(request, body, response);
      void index;
    });
    try {
      const buffered = client(server.url, handler());
      for (let i = 0; i < 10; i++) await buffered.send(new QueryCommand(QUERY));
      expect(ports.size).toBeLessThanOrEqual(2);
    } finally {
      await server.close();
    }
  });

  it("rejects a dropped connection so that the SDK retries it", async () => {
    const server = await standIn((request, body, response, index) => {
      if (index === 0) return request.socket.destroy();
      answerQuery(request, body, response);
    });
    try {
      const result = await client(server.url, handler()).send(new QueryCommand(QUERY));
      expect(result.Items).toHaveLength(300);
      expect(result.$metadata.attempts).toBe(2);
    } finally {
      await server.close();
    }
  });

  it("hands DynamoDB's error answers to the SDK, which throws them by name", async () => {
    const server = await standIn((_request, _body, response) => {
      response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'test' });
      response.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ValidationException', message: 'The provided starting key is invalid' }));
    });
    try {
      await expect(client(server.url, handler()).send(new QueryCommand(QUERY))).rejects.toMatchObject({
        name: 'ValidationException',
        message: 'The provided starting key is invalid',
        $metadata: { httpStatusCode: 400 },
      });
    } finally {
      await server.close();
    }
  });

  it('fails a request whose socket stays silent longer than its timeout', async () => {
    const server = await standIn(() => {
      // Never answers.
    });
    try {
      const started = Date.now();
      await expect(client(server.url, handler(100), 1).send(new QueryCommand(QUERY))).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await server.close();
    }
  });

  it('stops a request when its abort signal fires', async () => {
    const server = await standIn(() => {
      // Never answers.
    });
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      await expect(client(server.url, handler(), 1).send(new QueryCommand(QUERY), { abortSignal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      await server.close();
    }
  });

  it('sends a query string escaped as SigV4 signs it (RFC 3986)', async () => {
    const server = await standIn((_request, _body, response) => response.end('{}'));
    try {
      const { response } = await handler().handle({
        protocol: 'http:', hostname: '127.0.0.1', port: Number(new URL(server.url).port), method: 'GET', path: '/', query: { "a b": "x y!'()*", list: ['1', '2'], flag: null }, headers: { host: new URL(server.url).host },
      } as HttpRequest);
      expect(response.statusCode).toBe(200);
      expect(server.requests[0].url).toBe(`/?a%20b=${"x%20y%21%27%28%29%2A"}&list=1&list=2&flag`);
    } finally {
      await server.close();
    }
  });
});
