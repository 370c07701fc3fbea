import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { invokeFunction, type InvokeResult } from '../../functions/runtime-api/invoke';
import { hostNodeLayer, writeFiles } from './support/fixtures';

// Conformance with an independent client: AWS's own Runtime Interface Client for Node.js (aws-lambda-ric) runs
// handlers against lamina's local Runtime API, side by side with lamina's runtime client. Its native part builds
// from source, so it is installed outside the project by `npm run test:ric:install`.
const RIC = path.join(process.env.LAMINA_RIC_DIR ?? path.join(os.tmpdir(), 'lamina-ric'), 'node_modules', 'aws-lambda-ric');
const installed = existsSync(path.join(RIC, 'bin', 'index.mjs')) && existsSync(path.join(RIC, 'dist', 'rapid-client.node'));
if (!installed) {
  console.warn(
    `SKIPPED aws-lambda-ric conformance: ${RIC} is not installed with its native part; run \`npm run test:ric:install\` (needs autoconf, automake, libtool, cmake, make and g++)`,
  );
}
const ricDescribe = installed ? describe : describe.skip;

const HANDLERS = {
  'index.js': `
exports.echo = async (event, context) => ({
  event,
  requestId: context.awsRequestId,
  arn: context.invokedFunctionArn,
  functionName: context.functionName,
  functionVersion: context.functionVersion,
  memory: String(context.memoryLimitInMB),
  logGroupName: context.logGroupName,
  remainingOk: context.getRemainingTimeInMillis() > 4000 && context.getRemainingTimeInMillis() <= 5000,
  trace: process.env._X_AMZN_TRACE_ID,
});
exports.callback = (event, context, callback) => setTimeout(() => callback(null, { n: event.n + 1 }), 10);
exports.throws = async () => { throw new TypeError('bad thing'); };
exports.warm = async () => process.pid;
`,
};

let scratch: string;
let code: string;
let ricLayer: string;
let laminaLayer: string;

beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'lamina-ric-test-'));
  code = await writeFiles(path.join(scratch, 'code'), HANDLERS);
  ricLayer = await writeFiles(path.join(scratch, 'ric-layer'), {
    bootstrap: `#!/bin/sh\nexec "${process.execPath}" "${path.join(RIC, 'bin', 'index.mjs')}" "$_HANDLER"\n`,
  });
  laminaLayer = await hostNodeLayer(path.join(scratch, 'lamina-layer'));
});

afterAll(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});

async function both(handler: string, events: unknown[]): Promise<[InvokeResult[], InvokeResult[]]> {
  const run = (layer: string) => invokeFunction({ layers: [layer], code, handler, events, timeoutSeconds: 5, functionName: 'conformance' });
  return [(await run(ricLayer)).results, (await run(laminaLayer)).results];
}

/** What must agree between the two clients: responses, and error type and message. */
function comparable(result: InvokeResult): unknown {
  if (!result.ok) return { errorType: result.error.errorType, errorMessage: result.error.errorMessage };
  const response = result.response as Record<string, unknown>;
  if (response && typeof response === 'object' && 'requestId' in response) {
    expect(response.requestId).toBe(result.requestId);
    return { ...response, requestId: 'same as the invocation' };
  }
  return response;
}

ricDescribe('aws-lambda-ric against the local Runtime API', () => {
  test('event, context and trace id: the same as lamina’s client', async () => {
    const [ric, lamina] = await both('index.echo', [{ text: 'Hello' }]);
    expect(ric[0].ok).toBe(true);
    const ricResponse = comparable(ric[0]) as Record<string, unknown>;
    expect(ricResponse).toMatchObject({ event: { text: 'Hello' }, functionName: 'conformance', functionVersion: '$LATEST', remainingOk: true });
    expect(ricResponse.trace).toMatch(/^Root=1-/);
    const laminaResponse = comparable(lamina[0]) as Record<string, unknown>;
    // Trace ids differ per invocation; everything else must match.
    expect({ ...laminaResponse, trace: 'x' }).toEqual({ ...ricResponse, trace: 'x' });
  });

  test('callback handler and handler error: the same outcome from both clients', async () => {
    const [ricCallback, laminaCallback] = await both('index.callback', [{ n: 1 }]);
    expect(comparable(ricCallback[0])).toEqual({ n: 2 });
    expect(comparable(laminaCallback[0])).toEqual(comparable(ricCallback[0]));
    const [ricError, laminaError] = await both('index.throws', [{}]);
    expect(comparable(ricError[0])).toEqual({ errorType: 'TypeError', errorMessage: 'bad thing' });
    expect(comparable(laminaError[0])).toEqual(comparable(ricError[0]));
  });

  test('a missing handler fails init the same way', async () => {
    const [ric, lamina] = await both('index.nothere', [{}]);
    expect(comparable(ric[0])).toEqual({ errorType: 'Runtime.HandlerNotFound', errorMessage: 'index.nothere is undefined or not exported' });
    expect(comparable(lamina[0])).toEqual(comparable(ric[0]));
  });

  test('several events through one warm aws-lambda-ric process', async () => {
    const [ric] = await both('index.warm', [{}, {}, {}]);
    expect(ric.every((result) => result.ok)).toBe(true);
    expect(new Set(ric.map((result) => (result.ok ? result.payload : ''))).size).toBe(1);
  });
});
