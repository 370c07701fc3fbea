import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetLayerVersionByArnCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { LaminaError } from '../../functions/layers/kind';
import { InvokeInputError, invokeFunction, parseHandler } from '../../functions/runtime-api/invoke';
import { startLambdaEmulator, type LambdaEmulator } from '../lambda-emulator';
import { EXIT, UsageError, type Command } from './command';
import { parseOptions } from './options';

const LAYER_ARN = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):\d{12}:layer:[a-zA-Z0-9_-]+:\d+$/;

/** Parses JSON given inline or as a file name; says which one failed and why. */
async function readJson(value: string, what: string): Promise<unknown> {
  try {
    return JSON.parse(value);
  } catch (inlineError) {
    if (!existsSync(value)) {
      throw new UsageError(`${what} is neither JSON (${(inlineError as Error).message}) nor an existing file: ${value.slice(0, 80)}`);
    }
  }
  const text = await fs.readFile(value, 'utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what} file ${value} is not JSON: ${(error as Error).message}`);
  }
}

/** `--events` holds a JSON array of events, or one JSON event per line. */
async function readEvents(file: string): Promise<unknown[]> {
  if (!existsSync(file)) throw new UsageError(`--events file ${file} does not exist`);
  const text = await fs.readFile(file, 'utf8');
  try {
    const parsed = JSON.parse(text) as unknown;
    if (Array.isArray(parsed)) return parsed;
  } catch {
    // Maybe JSON Lines.
  }
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return lines.map((line, index) => {
    try {
      return JSON.parse(line) as unknown;
    } catch (error) {
      throw new UsageError(`--events file ${file}: line ${index + 1} is not JSON (${(error as Error).message}); give a JSON array or one JSON event per line`);
    }
  });
}

/**
 * Resolves a local layer ARN to a zip through the Lambda endpoint the SDK settings name (the local emulator of
 * `lamina run`), downloading Content.Location into `dir`.
 */
async function fetchLayerByArn(arn: string, dir: string): Promise<string> {
  if (!process.env.AWS_ENDPOINT_URL_LAMBDA && !process.env.AWS_ENDPOINT_URL) {
    throw new UsageError(
      `${arn} is a layer ARN; lamina invoke fetches those from the local state (--state) or the Lambda endpoint AWS_ENDPOINT_URL_LAMBDA names; pass the layer's zip file otherwise`,
    );
  }
  const region = LAYER_ARN.exec(arn)![1];
  const hasCredentials = Boolean(process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE);
  const client = new LambdaClient({
    region,
    // The local emulator checks no signature; the SDK still wants something to sign with.
    ...(hasCredentials ? {} : { credentials: { accessKeyId: 'lamina-local', secretAccessKey: 'lamina-local' } }),
  });
  let location: string | undefined;
  try {
    const layer = await client.send(new GetLayerVersionByArnCommand({ Arn: arn }));
    location = layer.Content?.Location;
  } catch (error) {
    throw new LaminaError(`cannot get ${arn} from ${process.env.AWS_ENDPOINT_URL_LAMBDA ?? process.env.AWS_ENDPOINT_URL}: ${(error as Error).message}; are the local services running?`);
  } finally {
    client.destroy();
  }
  if (!location) throw new LaminaError(`${arn}: the Lambda endpoint gave no Content.Location to download the layer from`);
  const response = await fetch(location);
  if (!response.ok) throw new LaminaError(`${arn}: downloading ${location} answered ${response.status}`);
  const file = path.join(dir, `${arn.split(':').slice(-2).join('-')}.zip`);
  await fs.writeFile(file, Buffer.from(await response.arrayBuffer()));
  return file;
}

function positiveNumber(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new UsageError(`--${name} ${JSON.stringify(value)} is not a positive number`);
  return number;
}

export const invokeCommand: Command = {
  async run(args) {
    const { values } = parseOptions(args, {
      layer: { type: 'string', multiple: true },
      code: { type: 'string' },
      handler: { type: 'string' },
      event: { type: 'string' },
      events: { type: 'string' },
      timeout: { type: 'string' },
      memory: { type: 'string' },
      env: { type: 'string', multiple: true },
      state: { type: 'string', default: '.lamina' },
    });
    if (!values.code) throw new UsageError('--code <dir | zip> is required: the function code (LAMBDA_TASK_ROOT)');
    if (!values.handler) throw new UsageError('--handler <file.function> is required, e.g. function.handler');
    if (values.event !== undefined && values.events !== undefined) throw new UsageError('give --event or --events, not both');
    try {
      parseHandler(values.handler);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const events = values.events !== undefined ? await readEvents(values.events) : [values.event === undefined ? {} : await readJson(values.event, '--event')];
    if (events.length === 0) throw new UsageError(`--events file ${values.events} holds no events`);
    const env: Record<string, string> = {};
    for (const pair of values.env ?? []) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new UsageError(`--env ${JSON.stringify(pair)} is not KEY=VALUE`);
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    const timeoutSeconds = positiveNumber(values.timeout, 'timeout', 3);
    const memoryMb = positiveNumber(values.memory, 'memory', 128);
    if (!existsSync(values.code)) throw new UsageError(`--code ${values.code} does not exist`);

    const downloads = await fs.mkdtemp(path.join(os.tmpdir(), 'lamina-invoke-layers-'));
    // A local ARN with no Lambda endpoint configured: read the layer from the embedded default's state on disk.
    let emulator: LambdaEmulator | undefined;
    const wantsArn = (values.layer ?? []).some((layer) => LAYER_ARN.test(layer));
    if (wantsArn && !process.env.AWS_ENDPOINT_URL_LAMBDA && !process.env.AWS_ENDPOINT_URL) {
      const dataDir = path.resolve(values.state!, 'lambda');
      if (!existsSync(dataDir)) {
        await fs.rm(downloads, { recursive: true, force: true });
        throw new UsageError(`${values.state} holds no local layers (${dataDir} does not exist): run \`lamina run\` first, or pass the layer's zip`);
      }
      emulator = await startLambdaEmulator({ dataDir });
      process.env.AWS_ENDPOINT_URL_LAMBDA = emulator.url;
    }
    try {
      const layers: string[] = [];
      for (const layer of values.layer ?? []) {
        if (LAYER_ARN.test(layer)) layers.push(await fetchLayerByArn(layer, downloads));
        else if (existsSync(layer)) layers.push(layer);
        else throw new UsageError(`--layer ${layer} is neither an existing zip or folder nor a layer ARN (arn:aws:lambda:<region>:<account>:layer:<name>:<version>)`);
      }
      const report = await invokeFunction({
        layers,
        code: values.code,
        handler: values.handler,
        events,
        timeoutSeconds,
        memoryMb,
        env,
        onLog: (text) => process.stderr.write(text),
      });
      let failed = false;
      for (const result of report.results) {
        if (result.ok) process.stdout.write(`${result.payload}\n`);
        else {
          failed = true;
          process.stdout.write(`${JSON.stringify(result.error)}\n`);
        }
      }
      return failed ? EXIT.failed : EXIT.ok;
    } catch (error) {
      if (error instanceof InvokeInputError) throw new UsageError(error.message);
      throw error;
    } finally {
      if (emulator) {
        delete process.env.AWS_ENDPOINT_URL_LAMBDA;
        await emulator.close();
      }
      await fs.rm(downloads, { recursive: true, force: true });
    }
  },
};
