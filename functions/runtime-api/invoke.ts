import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { extractZip } from '../archive/extract-zip';
import { LaminaError } from '../layers/kind';
import { RuntimeApiServer, type FunctionError, type Invocation, type RuntimeOutcome } from './server';

/** Lambda's limit for the init phase of an on-demand function. */
export const INIT_LIMIT_MS = 10_000;

/** Input a person got wrong (handler string, event, paths): the CLI maps it to exit code 2. */
export class InvokeInputError extends LaminaError {
  constructor(message: string) {
    super(message, 'InvokeInputError');
  }
}

export interface InvokeOptions {
  /** Layer zips (or already extracted layer folders), in the order Lambda would apply them. */
  layers: string[];
  /** Function code: a folder or a zip. A `bootstrap` in it wins over one in a layer. */
  code: string;
  /** The handler setting, `file.function` (the runtime decides what it means). */
  handler: string;
  /** Events, each sent as its JSON text, one after another through one warm runtime. */
  events: unknown[];
  /** Function timeout in seconds (Lambda's default 3). */
  timeoutSeconds?: number;
  /** Memory size in MB, only reported to the function (default 128). */
  memoryMb?: number;
  /** Extra environment variables for the function. */
  env?: Record<string, string>;
  functionName?: string;
  /** Region the function believes it runs in (default AWS_REGION or us-east-1). */
  region?: string;
  /** Folder in which to make the temporary /opt, /var/task and /tmp stand-ins (default: the OS temp folder). */
  workDir?: string;
  /**
   * What to start instead of the `bootstrap`, given the stand-ins for /opt and /var/task: e.g. a layer's arm64
   * binary under qemu-aarch64, since with no binfmt the bootstrap's own `exec` of it cannot work.
   */
  command?: (dirs: { opt: string; task: string }) => string[];
  /** Receives the function's output (stdout and stderr) as it comes, e.g. to stream it to the terminal. */
  onLog?: (text: string) => void;
}

/** One event's outcome: the response (parsed when it is JSON, and as sent), or the error object. */
export type InvokeResult =
  | { ok: true; requestId: string; response: unknown; payload: string }
  | { ok: false; requestId: string; error: FunctionError };

export interface InvokeReport {
  results: InvokeResult[];
  /** Everything the runtime printed, plus Lambda's START/END/REPORT lines. */
  logs: string;
}

/**
 * Checks a handler string has the `file.function` shape every runtime lamina builds understands
 * (`function.handler`, `src/app.handler`); throws InvokeInputError otherwise.
 */
export function parseHandler(handler: string): { file: string; functionName: string } {
  const match = /^([^\s]*[^\s./])\.([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)$/.exec(handler);
  const bad = !match || match[1].split('/').some((part) => part === '..') || match[1].startsWith('/') || handler.length > 128;
  if (bad) {
    throw new InvokeInputError(
      `handler ${JSON.stringify(handler)} does not parse: expected file.function such as function.handler or src/app.handler (at most 128 characters, no spaces, no ..)`,
    );
  }
  return { file: match![1], functionName: match![2] };
}

async function isDirectory(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isDirectory();
  } catch {
    throw new InvokeInputError(`${file} does not exist`);
  }
}

/** Copies a folder or extracts a zip into `dest`; later content overwrites earlier, as layers do in /opt. */
async function unpack(source: string, dest: string): Promise<void> {
  if (await isDirectory(source)) {
    await fs.cp(source, dest, { recursive: true, force: true });
  } else {
    await extractZip(source, dest, { label: path.basename(source) });
  }
}

function traceId(): string {
  const epoch = Math.floor(Date.now() / 1000).toString(16);
  return `Root=1-${epoch}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
}

function logStreamName(): string {
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
  return `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
}

interface RunningRuntime {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>;
  /** Resolves once the runtime's output pipes are closed, i.e. every line it wrote has reached the logs. */
  drained: Promise<void>;
  alive: boolean;
}

/** Kills the runtime's whole process group (bootstrap and whatever it started) and waits for it to exit. */
async function kill(runtime: RunningRuntime): Promise<void> {
  if (runtime.child.pid !== undefined) {
    try {
      process.kill(-runtime.child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  if (runtime.alive) await runtime.exited;
  // The last lines a dying runtime wrote may still be in the pipe; give them a moment to arrive.
  await Promise.race([runtime.drained, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
}

/**
 * Runs a function on a custom runtime locally, as Lambda would: layers extracted in order into a stand-in for
 * /opt, the code into a stand-in for /var/task, `bootstrap` started with Lambda's environment against a local
 * Runtime API, each event through the same warm runtime (a runtime that crashed or timed out is started again
 * for the next event, as Lambda does). Used by `lamina invoke` and by the runtime layers' smoke tests.
 */
export async function invokeFunction(options: InvokeOptions): Promise<InvokeReport> {
  parseHandler(options.handler);
  const timeoutSeconds = options.timeoutSeconds ?? 3;
  const memoryMb = options.memoryMb ?? 128;
  if (!(timeoutSeconds >= 1 && timeoutSeconds <= 900)) throw new InvokeInputError(`timeout ${timeoutSeconds}: give 1 to 900 seconds, as Lambda allows`);
  if (!(Number.isInteger(memoryMb) && memoryMb >= 128 && memoryMb <= 10240)) {
    throw new InvokeInputError(`memory ${memoryMb}: give a whole number of MB from 128 to 10240`);
  }
  const functionName = options.functionName ?? 'lamina-local';
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const events = options.events.map((event, index) => {
    const text = JSON.stringify(event);
    if (text === undefined) throw new InvokeInputError(`event ${index + 1} cannot be written as JSON`);
    return text;
  });

  if (options.workDir) await fs.mkdir(options.workDir, { recursive: true });
  const root = await fs.mkdtemp(path.join(options.workDir ?? os.tmpdir(), 'lamina-invoke-'));
  const logs: string[] = [];
  const log = (text: string) => {
    logs.push(text);
    options.onLog?.(text);
  };
  let runtime: RunningRuntime | undefined;
  let server: RuntimeApiServer | undefined;
  try {
    const opt = path.join(root, 'opt');
    const taskRoot = path.join(root, 'task');
    const tmp = path.join(root, 'tmp');
    const runtimeDir = path.join(root, 'runtime');
    await Promise.all([opt, taskRoot, tmp, runtimeDir].map((dir) => fs.mkdir(dir, { recursive: true })));
    for (const layer of options.layers) await unpack(layer, opt);
    await unpack(options.code, taskRoot);
    const bootstrap = [path.join(taskRoot, 'bootstrap'), path.join(opt, 'bootstrap')].find((file) => existsSync(file));
    if (!bootstrap) {
      throw new InvokeInputError('no bootstrap: neither the function code nor any layer has a bootstrap file at its root');
    }

    // Handlers for what the Runtime API reports; `settle` is set while an event is in flight.
    let settle: ((outcome: RuntimeOutcome, fatal?: boolean) => void) | undefined;
    let delivered: ((deadlineMs: number) => void) | undefined;
    let current: Invocation | undefined;
    server = new RuntimeApiServer({
      onDelivered: (invocation, deadlineMs) => {
        if (invocation.requestId === current?.requestId) delivered?.(deadlineMs);
      },
      onOutcome: (requestId, outcome) => {
        if (requestId === current?.requestId) settle?.(outcome);
      },
      onInitError: (error) => settle?.({ ok: false, error }, true),
    });
    const apiAddress = await server.start();

    const env: Record<string, string> = {
      PATH: [process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', path.join(opt, 'bin')].join(path.delimiter),
      LD_LIBRARY_PATH: [path.join(taskRoot, 'lib'), path.join(opt, 'lib')].join(path.delimiter),
      NODE_PATH: [path.join(opt, 'nodejs', 'node_modules'), path.join(runtimeDir, 'node_modules')].join(path.delimiter),
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      TMPDIR: tmp,
      AWS_LAMBDA_RUNTIME_API: apiAddress,
      _HANDLER: options.handler,
      LAMBDA_TASK_ROOT: taskRoot,
      LAMBDA_RUNTIME_DIR: runtimeDir,
      AWS_LAMBDA_FUNCTION_NAME: functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: logStreamName(),
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      ...options.env,
    };

    const [program, ...args] = options.command?.({ opt, task: taskRoot }) ?? [bootstrap];
    const start = (): RunningRuntime => {
      server!.resetRuntime();
      const child = spawn(program, args, { cwd: taskRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.setEncoding('utf8').on('data', log);
      child.stderr!.setEncoding('utf8').on('data', log);
      const running: RunningRuntime = {
        child,
        alive: true,
        drained: new Promise((resolve) => child.once('close', () => resolve())),
        exited: new Promise((resolve) => {
          child.once('error', (spawnError) => {
            running.alive = false;
            resolve({ code: null, signal: null, spawnError });
          });
          child.once('exit', (code, signal) => {
            running.alive = false;
            resolve({ code, signal });
          });
        }),
      };
      return running;
    };

    /**
     * Hands one invocation to the runtime and waits for its outcome. `stale` means the warm runtime died before it
     * took the event (between invocations): Lambda would give the event to a fresh runtime, and so do we.
     */
    const attempt = (invocation: Invocation, running: RunningRuntime, warm: boolean) =>
      new Promise<{ outcome: RuntimeOutcome; fatal: boolean; stale: boolean }>((resolve) => {
        const timers: NodeJS.Timeout[] = [];
        let done = false;
        let taken = false;
        const finish = (outcome: RuntimeOutcome, fatal: boolean, stale = false) => {
          if (done) return;
          done = true;
          for (const timer of timers) clearTimeout(timer);
          settle = undefined;
          delivered = undefined;
          resolve({ outcome, fatal, stale });
        };
        settle = (outcome, fatal = false) => finish(outcome, fatal);
        const fail = (errorType: string, errorMessage: string) => finish({ ok: false, error: { errorType, errorMessage } }, true);
        // Lambda gives init its own limit; the function's timeout starts when the runtime takes the event.
        const initTimer = setTimeout(
          () => fail('Runtime.InitTimeout', `the runtime did not ask for the event within ${INIT_LIMIT_MS / 1000} seconds (Lambda's init limit)`),
          INIT_LIMIT_MS,
        );
        timers.push(initTimer);
        delivered = (deadlineMs) => {
          taken = true;
          clearTimeout(initTimer);
          const timeout = () =>
            fail('Sandbox.Timedout', `${new Date().toISOString()} ${invocation.requestId} Task timed out after ${timeoutSeconds.toFixed(2)} seconds`);
          timers.push(setTimeout(timeout, Math.max(0, deadlineMs - Date.now())));
        };
        void running.exited.then(({ code, signal, spawnError }) => {
          if (done) return;
          if (warm && !taken) return finish({ ok: false, error: { errorType: 'Runtime.ExitError', errorMessage: 'runtime exited between invocations' } }, true, true);
          if (spawnError) fail('Runtime.InvalidEntrypoint', `cannot start ${program}: ${spawnError.message}`);
          else fail('Runtime.ExitError', `RequestId: ${invocation.requestId} Error: Runtime exited ${signal ? `with signal: ${signal}` : `with error: exit status ${code}`}`);
        });
        server!.enqueue(invocation);
      });

    const results: InvokeResult[] = [];
    for (const payload of events) {
      const invocation: Invocation = {
        requestId: randomUUID(),
        payload,
        invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
        traceId: traceId(),
        timeoutMs: timeoutSeconds * 1000,
      };
      current = invocation;
      const startedAt = Date.now();
      log(`START RequestId: ${invocation.requestId} Version: $LATEST\n`);
      let warm = Boolean(runtime?.alive);
      if (!runtime || !runtime.alive) runtime = start();
      let result = await attempt(invocation, runtime, warm);
      if (result.stale) {
        await kill(runtime);
        runtime = start();
        warm = false;
        result = await attempt(invocation, runtime, warm);
      }
      const { outcome, fatal } = result;
      if (fatal) {
        // A runtime that failed init, timed out or died is not reused; Lambda starts a fresh one next time.
        if (!outcome.ok && outcome.error.errorType === 'Sandbox.Timedout') log(`${outcome.error.errorMessage}\n`);
        await kill(runtime);
      }
      const requestId = invocation.requestId;
      log(`END RequestId: ${requestId}\n`);
      log(`REPORT RequestId: ${requestId}\tDuration: ${(Date.now() - startedAt).toFixed(2)} ms\tMemory Size: ${memoryMb} MB\n`);
      results.push(
        outcome.ok
          ? { ok: true, requestId, response: parsePayload(outcome.payload), payload: outcome.payload }
          : { ok: false, requestId, error: outcome.error },
      );
    }
    return { results, logs: logs.join('') };
  } finally {
    if (runtime) await kill(runtime);
    if (server) await server.close();
    await fs.rm(root, { recursive: true, force: true });
  }
}

function parsePayload(payload: string): unknown {
  try {
    return JSON.parse(payload);
  } catch {
    return payload;
  }
}
