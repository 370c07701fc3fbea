import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { invokeFunction, type InvokeResult } from '../../functions/runtime-api/invoke';
import { hostNodeLayer, writeFiles } from './support/fixtures';

// The runtime client (node-runtime/runtime.js) run by this machine's node, through the local Runtime API.
let scratch: string;
let layer: string;
let code: string;

const HANDLERS = {
  'index.js': `
let calls = 0;
exports.asyncHandler = async (event) => ({ got: event, version: process.version });
exports.promiseHandler = (event) => new Promise((resolve) => setTimeout(() => resolve({ promised: event.n }), 20));
exports.callbackHandler = (event, context, callback) => { setTimeout(() => callback(null, { called: event.n }), 20); };
exports.callbackError = (event, context, callback) => callback(new RangeError('callback says no'));
exports.callbackWaits = (event, context, callback) => {
  setTimeout(() => { console.log('timer finished before the response'); }, 200);
  callback(null, 'after timer');
};
exports.callbackNoWait = (event, context, callback) => {
  context.callbackWaitsForEmptyEventLoop = false;
  global.keep = setTimeout(() => {}, 60000);
  callback(null, 'did not wait');
};
exports.throws = async () => { const e = new TypeError('handler exploded'); throw e; };
exports.throwsSync = () => { throw new Error('sync explosion'); };
exports.context = async (event, context) => ({
  requestId: context.awsRequestId,
  arn: context.invokedFunctionArn,
  functionName: context.functionName,
  functionVersion: context.functionVersion,
  memory: context.memoryLimitInMB,
  logGroupName: context.logGroupName,
  logStreamName: context.logStreamName,
  remaining: context.getRemainingTimeInMillis(),
  trace: process.env._X_AMZN_TRACE_ID,
  env: {
    handler: process.env._HANDLER,
    taskRoot: process.env.LAMBDA_TASK_ROOT,
    region: process.env.AWS_REGION,
    path: process.env.PATH,
    ld: process.env.LD_LIBRARY_PATH,
    nodePath: process.env.NODE_PATH,
    cwd: process.cwd(),
  },
});
exports.remaining = async (event, context) => {
  const before = context.getRemainingTimeInMillis();
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { before, after: context.getRemainingTimeInMillis() };
};
exports.warm = async () => ({ pid: process.pid, calls: ++calls });
exports.sleepy = async (event) => { if (event.sleep) await new Promise((resolve) => setTimeout(resolve, event.sleep)); return { pid: process.pid }; };
exports.logs = async (event) => { console.log('hello from the handler', event.n); console.error('an error line'); process.stdout.write('raw stdout\\n'); return 'logged'; };
exports.unhandled = async () => { Promise.reject(new Error('nobody caught this')); await new Promise((resolve) => setTimeout(resolve, 500)); return 'never'; };
exports.uncaught = () => { setTimeout(() => { throw new Error('thrown from a timer'); }, 10); return new Promise(() => {}); };
exports.nested = { deeper: async () => 'nested export' };
exports.usesLayerModule = async () => require('layer-module').hello();
`,
  'lib/sub.js': `exports.handler = async () => 'from a sub folder';`,
  'esm.mjs': `export const handler = async (event) => ({ esm: true, event });`,
  'commonjs.cjs': `exports.handler = async () => 'from .cjs';`,
  'syntax.js': `exports.handler = async () => 1;\nthis is not javascript`,
  'throwsAtLoad.js': `throw new Error('init went wrong');`,
  'noexport.js': `exports.other = async () => 1;`,
};

beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'lamina-client-test-'));
  layer = await hostNodeLayer(path.join(scratch, 'layer'));
  code = await writeFiles(path.join(scratch, 'code'), HANDLERS);
});

afterAll(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});

async function run(handler: string, events: unknown[] = [{}], extra: { timeoutSeconds?: number; layers?: string[] } = {}) {
  return invokeFunction({ layers: extra.layers ?? [layer], code, handler, events, timeoutSeconds: extra.timeoutSeconds ?? 5 });
}

function ok(result: InvokeResult): unknown {
  if (!result.ok) throw new Error(`expected a response, got ${JSON.stringify(result.error)}`);
  return result.response;
}

function failed(result: InvokeResult) {
  if (result.ok) throw new Error(`expected an error, got ${result.payload}`);
  return result.error;
}

describe('node runtime client: handlers', () => {
  test('async handler gets the event and its result is the response', async () => {
    const { results } = await run('index.asyncHandler', [{ text: 'Hello' }]);
    expect(ok(results[0])).toEqual({ got: { text: 'Hello' }, version: process.version });
  });

  test('promise-returning and callback handlers', async () => {
    expect(ok((await run('index.promiseHandler', [{ n: 4 }])).results[0])).toEqual({ promised: 4 });
    expect(ok((await run('index.callbackHandler', [{ n: 7 }])).results[0])).toEqual({ called: 7 });
  });

  test('a callback response waits for the empty event loop unless told not to', async () => {
    const waited = await run('index.callbackWaits');
    expect(ok(waited.results[0])).toBe('after timer');
    // The callback came at once, but the response only after the 200 ms timer had run.
    const duration = Number(/REPORT RequestId: \S+\tDuration: ([\d.]+) ms/.exec(waited.logs)?.[1]);
    expect(duration).toBeGreaterThanOrEqual(190);
    const started = Date.now();
    const noWait = await run('index.callbackNoWait');
    expect(ok(noWait.results[0])).toBe('did not wait');
    expect(Date.now() - started).toBeLessThan(4000);
  });

  test('ES module (.mjs) and .cjs handlers', async () => {
    expect(ok((await run('esm.handler', [{ a: 1 }])).results[0])).toEqual({ esm: true, event: { a: 1 } });
    expect(ok((await run('commonjs.handler')).results[0])).toBe('from .cjs');
  });

  test('handler in a sub folder and a nested export', async () => {
    expect(ok((await run('lib/sub.handler')).results[0])).toBe('from a sub folder');
    expect(ok((await run('index.nested.deeper')).results[0])).toBe('nested export');
  });

  test('a thrown error and a callback error are posted as {errorType, errorMessage, stackTrace}', async () => {
    const thrown = failed((await run('index.throws')).results[0]);
    expect(thrown.errorType).toBe('TypeError');
    expect(thrown.errorMessage).toBe('handler exploded');
    expect(thrown.stackTrace?.[0]).toBe('TypeError: handler exploded');
    expect(thrown.stackTrace?.some((line) => line.includes('index.js'))).toBe(true);
    const sync = failed((await run('index.throwsSync')).results[0]);
    expect([sync.errorType, sync.errorMessage]).toEqual(['Error', 'sync explosion']);
    const callback = failed((await run('index.callbackError')).results[0]);
    expect([callback.errorType, callback.errorMessage]).toEqual(['RangeError', 'callback says no']);
  });

  test('context object, trace id and Lambda environment', async () => {
    const { results } = await invokeFunction({
      layers: [layer],
      code,
      handler: 'index.context',
      events: [{}],
      timeoutSeconds: 7,
      memoryMb: 256,
      functionName: 'probe',
      region: 'eu-west-3',
    });
    const context = ok(results[0]) as Record<string, any>;
    expect(context.requestId).toBe(results[0].requestId);
    expect(context.arn).toMatch(/^arn:aws:lambda:eu-west-3:\d{12}:function:probe$/);
    expect(context.functionName).toBe('probe');
    expect(context.functionVersion).toBe('$LATEST');
    expect(context.memory).toBe('256');
    expect(context.logGroupName).toBe('/aws/lambda/probe');
    expect(context.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(context.remaining).toBeGreaterThan(6000);
    expect(context.remaining).toBeLessThanOrEqual(7000);
    expect(context.trace).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=[01]$/);
    expect(context.env.handler).toBe('index.context');
    expect(context.env.region).toBe('eu-west-3');
    expect(context.env.cwd).toBe(context.env.taskRoot);
    const opt = path.dirname(context.env.nodePath.split(path.delimiter)[0].replace(/\/nodejs\/node_modules$/, '/x'));
    expect(context.env.path.split(path.delimiter)).toContain(path.join(opt, 'bin'));
    expect(context.env.ld.split(path.delimiter)).toContain(path.join(opt, 'lib'));
  });

  test('getRemainingTimeInMillis counts down from the deadline header', async () => {
    const { results } = await run('index.remaining', [{}], { timeoutSeconds: 4 });
    const { before, after } = ok(results[0]) as { before: number; after: number };
    expect(before).toBeGreaterThan(3500);
    expect(before).toBeLessThanOrEqual(4000);
    expect(before - after).toBeGreaterThanOrEqual(280);
    expect(before - after).toBeLessThan(1500);
  });

  test('NODE_PATH reaches a module in a layer nodejs/node_modules folder', async () => {
    const libLayer = await writeFiles(path.join(scratch, 'lib-layer'), {
      'nodejs/node_modules/layer-module/index.js': `exports.hello = () => 'hello from a layer module';`,
    });
    const { results } = await run('index.usesLayerModule', [{}], { layers: [layer, libLayer] });
    expect(ok(results[0])).toBe('hello from a layer module');
  });
});

describe('node runtime client: init failures', () => {
  test('missing export → Runtime.HandlerNotFound, posted to init/error', async () => {
    const { results, logs } = await run('noexport.handler');
    const error = failed(results[0]);
    expect(error.errorType).toBe('Runtime.HandlerNotFound');
    expect(error.errorMessage).toContain('noexport.handler');
    expect(logs).toContain('Init Error');
  });

  test('missing module → Runtime.ImportModuleError', async () => {
    const error = failed((await run('nowhere.handler')).results[0]);
    expect(error.errorType).toBe('Runtime.ImportModuleError');
    expect(error.errorMessage).toContain("Cannot find module 'nowhere'");
  });

  test('syntax error at load → Runtime.UserCodeSyntaxError', async () => {
    const error = failed((await run('syntax.handler')).results[0]);
    expect(error.errorType).toBe('Runtime.UserCodeSyntaxError');
    expect(error.errorMessage).toMatch(/^SyntaxError: /);
  });

  test('a throw at load is reported as that error, and every event gets it (a fresh init each time)', async () => {
    const { results } = await run('throwsAtLoad.handler', [{}, {}]);
    for (const result of results) expect(failed(result)).toMatchObject({ errorType: 'Error', errorMessage: 'init went wrong' });
  });
});

describe('node runtime client: the loop', () => {
  test('several events go through one warm runtime', async () => {
    const { results } = await run('index.warm', [{}, {}, {}]);
    const responses = results.map(ok) as { pid: number; calls: number }[];
    expect(new Set(responses.map((response) => response.pid)).size).toBe(1);
    expect(responses.map((response) => response.calls)).toEqual([1, 2, 3]);
  });

  test('timeout kills the runtime, reports "Task timed out after N seconds", and the next event gets a fresh one', async () => {
    const started = Date.now();
    const { results, logs } = await run('index.sleepy', [{ sleep: 10000 }, {}], { timeoutSeconds: 1 });
    const error = failed(results[0]);
    expect(error.errorType).toBe('Sandbox.Timedout');
    expect(error.errorMessage).toMatch(new RegExp(`${results[0].requestId} Task timed out after 1\\.00 seconds$`));
    expect(logs).toContain('Task timed out after 1.00 seconds');
    expect(ok(results[1])).toHaveProperty('pid');
    expect(Date.now() - started).toBeLessThan(6000);
  });

  test('an unhandled rejection and an uncaught exception are reported, not left hanging', async () => {
    const started = Date.now();
    const rejection = failed((await run('index.unhandled', [{}], { timeoutSeconds: 20 })).results[0]);
    expect(rejection.errorType).toBe('Runtime.UnhandledPromiseRejection');
    expect(rejection.errorMessage).toContain('nobody caught this');
    const uncaught = failed((await run('index.uncaught', [{}], { timeoutSeconds: 20 })).results[0]);
    expect(uncaught.errorMessage).toBe('thrown from a timer');
    expect(Date.now() - started).toBeLessThan(10000);
  });

  test('a runtime that dies after answering is replaced for the next event', async () => {
    const { results } = await run('index.unhandled', [{}, {}], { timeoutSeconds: 20 });
    expect(results.map((result) => result.ok)).toEqual([false, false]);
    expect(failed(results[1]).errorType).toBe('Runtime.UnhandledPromiseRejection');
  });

  test('console output lands in the logs with the request id; START/END/REPORT lines too', async () => {
    const { results, logs } = await run('index.logs', [{ n: 1 }, { n: 2 }]);
    expect(results.map(ok)).toEqual(['logged', 'logged']);
    for (const result of results) {
      expect(logs).toMatch(new RegExp(`\\t${result.requestId}\\tINFO\\thello from the handler`));
      expect(logs).toContain(`START RequestId: ${result.requestId}`);
      expect(logs).toContain(`END RequestId: ${result.requestId}`);
      expect(logs).toContain(`REPORT RequestId: ${result.requestId}`);
    }
    expect(logs).toMatch(/\tERROR\tan error line/);
    expect(logs).toContain('raw stdout');
  });
});
