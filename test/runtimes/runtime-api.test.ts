import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { MAX_PAYLOAD_BYTES, RuntimeApiServer, type FunctionError, type Invocation, type RuntimeOutcome } from '../../functions/runtime-api/server';
import { bashLayer, hostNodeLayer, writeFiles } from './support/fixtures';

const BASE = '/2018-06-01/runtime';

interface Recorded {
  delivered: { invocation: Invocation; deadlineMs: number }[];
  outcomes: { requestId: string; outcome: RuntimeOutcome }[];
  initErrors: FunctionError[];
}

let server: RuntimeApiServer;
let address: string;
let recorded: Recorded;

beforeEach(async () => {
  recorded = { delivered: [], outcomes: [], initErrors: [] };
  server = new RuntimeApiServer({
    onDelivered: (invocation, deadlineMs) => recorded.delivered.push({ invocation, deadlineMs }),
    onOutcome: (requestId, outcome) => recorded.outcomes.push({ requestId, outcome }),
    onInitError: (error) => recorded.initErrors.push(error),
  });
  address = await server.start();
});

afterEach(async () => {
  await server.close();
});

function invocation(extra: Partial<Invocation> = {}) {
  return {
    payload: '{"text":"Hello"}',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f',
    traceId: 'Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0',
    timeoutMs: 3000,
    ...extra,
  };
}

async function call(method: string, route: string, body?: string, headers: Record<string, string> = {}) {
  const response = await fetch(`http://${address}${BASE}${route}`, { method, body, headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe('local Runtime API (2018-06-01)', () => {
  test('next long-polls until an event is queued and carries every Lambda header', async () => {
    const next = call('GET', '/invocation/next');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(recorded.delivered).toHaveLength(0);
    const before = Date.now();
    const queued = server.enqueue(invocation({ clientContext: '{"client":{"app":"x"}}', cognitoIdentity: '{"cognitoIdentityId":"id"}' }));
    const response = await next;
    expect(response.status).toBe(200);
    expect(response.text).toBe('{"text":"Hello"}');
    expect(response.headers.get('lambda-runtime-aws-request-id')).toBe(queued.requestId);
    const deadline = Number(response.headers.get('lambda-runtime-deadline-ms'));
    expect(deadline).toBeGreaterThanOrEqual(before + 3000);
    expect(deadline).toBeLessThan(before + 4000);
    expect(response.headers.get('lambda-runtime-invoked-function-arn')).toBe('arn:aws:lambda:us-east-1:000000000000:function:f');
    expect(response.headers.get('lambda-runtime-trace-id')).toMatch(/^Root=1-/);
    expect(response.headers.get('lambda-runtime-client-context')).toBe('{"client":{"app":"x"}}');
    expect(response.headers.get('lambda-runtime-cognito-identity')).toBe('{"cognitoIdentityId":"id"}');
  });

  test('optional headers are absent when the invocation has none', async () => {
    server.enqueue(invocation());
    const response = await call('GET', '/invocation/next');
    expect(response.headers.has('lambda-runtime-client-context')).toBe(false);
    expect(response.headers.has('lambda-runtime-cognito-identity')).toBe(false);
  });

  test('response: 202 once; a second answer is 403 InvalidStateTransition; an unknown id is 400 InvalidRequestID', async () => {
    const queued = server.enqueue(invocation());
    await call('GET', '/invocation/next');
    const first = await call('POST', `/invocation/${queued.requestId}/response`, '{"answer":42}');
    expect(first.status).toBe(202);
    expect(JSON.parse(first.text)).toEqual({ status: 'OK' });
    expect(recorded.outcomes).toEqual([{ requestId: queued.requestId, outcome: { ok: true, payload: '{"answer":42}' } }]);
    const again = await call('POST', `/invocation/${queued.requestId}/response`, '{}');
    expect(again.status).toBe(403);
    expect(JSON.parse(again.text).errorType).toBe('InvalidStateTransition');
    const unknown = await call('POST', '/invocation/not-a-request/response', '{}');
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.text)).toEqual({ errorType: 'InvalidRequestID', errorMessage: expect.stringContaining('not-a-request') });
    expect(recorded.outcomes).toHaveLength(1);
  });

  test('error: the body and the Lambda-Runtime-Function-Error-Type header become the outcome', async () => {
    const queued = server.enqueue(invocation());
    await call('GET', '/invocation/next');
    const posted = await call('POST', `/invocation/${queued.requestId}/error`, JSON.stringify({ errorType: 'TypeError', errorMessage: 'bad', stackTrace: ['at x'] }), {
      'Lambda-Runtime-Function-Error-Type': 'TypeError',
    });
    expect(posted.status).toBe(202);
    expect(recorded.outcomes[0].outcome).toEqual({ ok: false, error: { errorType: 'TypeError', errorMessage: 'bad', stackTrace: ['at x'] } });
  });

  test('an error body that is not JSON keeps the header type and uses the body as message', async () => {
    const queued = server.enqueue(invocation());
    await call('GET', '/invocation/next');
    await call('POST', `/invocation/${queued.requestId}/error`, 'plain words', { 'Lambda-Runtime-Function-Error-Type': 'Custom.Type' });
    expect(recorded.outcomes[0].outcome).toEqual({ ok: false, error: { errorType: 'Custom.Type', errorMessage: 'plain words' } });
  });

  test('a response larger than the payload limit is 413 and fails the invocation', async () => {
    const queued = server.enqueue(invocation());
    await call('GET', '/invocation/next');
    const posted = await call('POST', `/invocation/${queued.requestId}/response`, 'x'.repeat(MAX_PAYLOAD_BYTES + 1));
    expect(posted.status).toBe(413);
    expect(JSON.parse(posted.text).errorType).toBe('RequestEntityTooLarge');
    expect(recorded.outcomes[0].outcome).toMatchObject({ ok: false, error: { errorType: 'Function.ResponseSizeTooLarge' } });
  });

  test('init/error is accepted during init (202) and refused once the runtime took an event (403)', async () => {
    const accepted = await call('POST', '/init/error', '{"errorType":"Runtime.ImportModuleError","errorMessage":"nope"}', {
      'Lambda-Runtime-Function-Error-Type': 'Runtime.ImportModuleError',
    });
    expect(accepted.status).toBe(202);
    expect(recorded.initErrors).toEqual([{ errorType: 'Runtime.ImportModuleError', errorMessage: 'nope' }]);
    server.enqueue(invocation());
    await call('GET', '/invocation/next');
    const refused = await call('POST', '/init/error', '{}');
    expect(refused.status).toBe(403);
    expect(recorded.initErrors).toHaveLength(1);
  });

  test('unknown paths are 404 and wrong methods 405', async () => {
    expect((await call('GET', '/invocation/abc/nothing')).status).toBe(404);
    expect((await call('POST', '/invocation/next', '{}')).status).toBe(405);
    expect((await call('GET', '/invocation/abc/response')).status).toBe(405);
  });

  test('the node runtime client reports an init failure to /init/error (not to an invocation) and exits', async () => {
    const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'lamina-api-test-'));
    try {
      const layer = await hostNodeLayer(path.join(scratch, 'layer'));
      const code = await writeFiles(path.join(scratch, 'code'), { 'index.js': 'exports.other = 1;' });
      const child = spawn(path.join(layer, 'bootstrap'), [], {
        env: { PATH: process.env.PATH ?? '', AWS_LAMBDA_RUNTIME_API: address, _HANDLER: 'index.handler', LAMBDA_TASK_ROOT: code },
        stdio: 'ignore',
      });
      const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      expect(exitCode).not.toBe(0);
      expect(recorded.initErrors).toHaveLength(1);
      expect(recorded.initErrors[0]).toMatchObject({ errorType: 'Runtime.HandlerNotFound', errorMessage: 'index.handler is undefined or not exported' });
      expect(recorded.outcomes).toHaveLength(0);
    } finally {
      await fs.rm(scratch, { recursive: true, force: true });
    }
  });

  test('both runtimes post handler errors with the Lambda-Runtime-Function-Error-Type header', async () => {
    const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'lamina-api-header-'));
    try {
      const code = await writeFiles(path.join(scratch, 'code'), {
        'index.js': "exports.handler = async () => { throw new TypeError('typed'); };",
        'function.sh': 'handler () { echo nope; return 2; }',
      });
      const layers = { node: await hostNodeLayer(path.join(scratch, 'node')), bash: await bashLayer(path.join(scratch, 'bash')) };
      for (const [runtime, handler, expectedType] of [
        ['node', 'index.handler', 'TypeError'],
        ['bash', 'function.handler', 'Runtime.HandlerError'],
      ] as const) {
        const posted = await new Promise<{ url: string; headers: http.IncomingHttpHeaders; body: string }>((resolve) => {
          let served = false;
          const raw = http.createServer((request, response) => {
            if (request.method === 'GET') {
              if (served) return;
              served = true;
              response.writeHead(200, { 'Lambda-Runtime-Aws-Request-Id': 'req-1', 'Lambda-Runtime-Deadline-Ms': String(Date.now() + 5000) });
              response.end('{}');
              return;
            }
            const chunks: Buffer[] = [];
            request.on('data', (chunk: Buffer) => chunks.push(chunk));
            request.on('end', () => {
              response.writeHead(202).end('{"status":"OK"}');
              resolve({ url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString() });
              child.kill('SIGKILL');
              raw.closeAllConnections();
              raw.close();
            });
          });
          let child: ReturnType<typeof spawn>;
          raw.listen(0, '127.0.0.1', () => {
            child = spawn(path.join(layers[runtime], 'bootstrap'), [], {
              env: {
                PATH: process.env.PATH ?? '',
                AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${(raw.address() as AddressInfo).port}`,
                _HANDLER: handler,
                LAMBDA_TASK_ROOT: code,
              },
              stdio: 'ignore',
            });
          });
        });
        expect(posted.url).toBe('/2018-06-01/runtime/invocation/req-1/error');
        expect(posted.headers['lambda-runtime-function-error-type']).toBe(expectedType);
        const body = JSON.parse(posted.body);
        expect(body.errorType).toBe(expectedType);
        if (runtime === 'node') expect(body).toMatchObject({ errorMessage: 'typed', stackTrace: expect.arrayContaining(['TypeError: typed']) });
        else expect(body.errorMessage).toBe('handler exited with status 2: nope');
      }
    } finally {
      await fs.rm(scratch, { recursive: true, force: true });
    }
  });
});
