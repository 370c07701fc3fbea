import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { acquireStateFolder } from './state-folder/holder';
import { existsSync, promises as fs } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { ArtifactStore } from '../functions/aws/artifacts';
import { resetDocumentClient } from '../functions/aws/dynamodb';
import { createTableInput } from '../schema/table';
import { LaminaError } from '../functions/layers/kind';
import { startLambdaEmulator, type LambdaEmulator } from './lambda-emulator';
import { BucketRegions, type KoaMiddleware } from './s3-regions/bucket-regions';
import { createLocalStagingBuckets, ensureBucketInRegion } from './s3-regions/staging-buckets';
import { ensureTopic, startStandIns, type StandIns } from './aws-stand-ins';

// dynalite and s3rver ship no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => import('node:http').Server;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  /** Koa's middleware chain (s3rver is a Koa application), composed when the server starts listening. */
  middleware: KoaMiddleware[];
};

export const LOCAL_TABLE = 'lamina';
export const LOCAL_BUCKET = 'lamina-artifacts';
export const LOCAL_REGION = 'us-east-1';

export interface LocalServicesOptions {
  /** Where the services keep their state (`.lamina/` by default): survives between runs. */
  stateDir: string;
  /** Keep DynamoDB in memory instead of on disk (tests). */
  inMemory?: boolean;
  /** The services the caller needs (all three when absent): `lamina list` reads the table and nothing else. */
  needs?: readonly LocalService[];
  /** The command holding the state folder, for the message another process gets ("in use by PID n (lamina run)"). */
  command?: string;
  /** Let other processes on this state folder use these services while this process runs (`lamina serve`). */
  share?: boolean;
}

export type LocalService = 'dynamodb' | 's3' | 'lambda';

export interface LocalServices {
  /** The environment the handlers need, as it was set on process.env. */
  env: Record<string, string>;
  /** The layer-API emulator when this process started it (not when an endpoint was given). */
  emulator?: LambdaEmulator;
  /** The SSM, EventBridge and SNS stand-ins this process started (notices and lookups). */
  standIns: StandIns;
  /** Which services this process started, and which it found configured. */
  started: string[];
  reused: string[];
  close(): Promise<void>;
}

/** An error a person fixes (a missing or busy state folder): the CLI exits 2 and starts nothing. */
export class StateFolderError extends LaminaError {
  constructor(message: string) {
    super(message, 'StateFolderError');
  }
}

/**
 * For commands that only read the local store (`lamina list`, `lamina serve`): a state folder without a
 * DynamoDB store, and no configured DynamoDB endpoint, would silently serve an empty store.
 */
export function requireLocalStore(stateDir: string): void {
  if (!existsSync(path.join(stateDir, 'dynamodb')) && !configured('DYNAMODB')) {
    throw new StateFolderError(`no local store in ${stateDir}: run \`lamina run\` first, or give --state (or --api for lamina list)`);
  }
}

const configured = (service: string) => process.env[`AWS_ENDPOINT_URL_${service}`] ?? process.env.AWS_ENDPOINT_URL;

/**
 * The endpoint the SDK itself would use for a service, from the environment or the shared config file
 * (`endpoint_url` in the profile or its `services` section; `ignore_configured_endpoint_urls` honoured): the SDK's
 * own loading, asked through a client, so lamina decides what to start exactly as its clients will connect.
 */
async function sdkConfiguredEndpoint(client: { config: object; destroy(): void }): Promise<string | undefined> {
  try {
    const config = client.config as { serviceConfiguredEndpoint?: () => Promise<string | undefined> };
    return (await config.serviceConfiguredEndpoint?.()) || undefined;
  } finally {
    client.destroy();
  }
}

/**
 * Opens the on-disk DynamoDB store once before dynalite does: dynalite turns a store it cannot open into an
 * uncaught "Database is closed" on the first request, naming no file. Level (dynalite's own store) says why.
 */
async function checkDynamoStore(store: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Level } = require(require.resolve('level', { paths: [path.dirname(require.resolve('dynalite'))] })) as {
    Level: new (location: string) => { open(): Promise<void>; close(): Promise<void> };
  };
  const db = new Level(store);
  try {
    await db.open();
  } catch (error) {
    const cause = (error as { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new StateFolderError(
      `the local DynamoDB store in ${store} cannot be opened (${cause}); move it aside (mv ${store} ${store}.broken) and run ` +
        '`lamina run` again: the next run rebuilds the records from what Lambda holds',
    );
  }
  await db.close();
}

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
  } catch {
    return false;
  }
}

/** Makes an endpoint found in the shared config file visible as AWS_ENDPOINT_URL_<SERVICE> to everything below. */
async function adoptConfiguredEndpoints(env: Record<string, string>): Promise<void> {
  const clients: [LocalService, () => { config: object; destroy(): void }][] = [
    ['dynamodb', () => new DynamoDBClient({ region: LOCAL_REGION })],
    ['s3', () => new S3Client({ region: LOCAL_REGION })],
    ['lambda', () => new LambdaClient({ region: LOCAL_REGION })],
  ];
  for (const [service, client] of clients) {
    const variable = `AWS_ENDPOINT_URL_${service.toUpperCase()}`;
    if (configured(service.toUpperCase())) continue;
    const endpoint = await sdkConfiguredEndpoint(client());
    if (endpoint) env[variable] = endpoint;
  }
}

/**
 * s3rver knows one access key (S3RVER) and does not check SigV4 signatures: the embedded S3 stands in for the
 * user's own account, so it takes whichever key the user's credentials sign with, and no other client has to sign
 * with s3rver's key (which would break a real service used beside it).
 */
function acceptAnyS3AccessKey(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const accounts = require('s3rver/lib/models/account') as { registry: Map<string, unknown>; DUMMY_ACCOUNT: unknown };
  const registry = accounts.registry as Map<string, unknown> & { lamina?: boolean };
  if (registry.lamina) return;
  const get = registry.get.bind(registry);
  registry.get = (key: string) => get(key) ?? accounts.DUMMY_ACCOUNT;
  registry.lamina = true;
}

function listen(server: import('node:http').Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

async function ensureTable(name: string): Promise<void> {
  const client = new DynamoDBClient({});
  try {
    await client.send(new DescribeTableCommand({ TableName: name }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    await client.send(new CreateTableCommand(createTableInput(name)));
    for (let attempt = 0; attempt < 50; attempt++) {
      const table = await client.send(new DescribeTableCommand({ TableName: name }));
      if (table.Table?.TableStatus === 'ACTIVE') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    client.destroy();
  }
}

/**
 * Starts the embedded default in this process: dynalite, an S3 stand-in and the Lambda layer-API emulator, each
 * on 127.0.0.1 with state under `stateDir`, and points the AWS SDK at them through its standard endpoint
 * variables. A service whose endpoint is already configured (LocalStack, AWS) is used as it is instead.
 */
export async function startLocalServices(options: LocalServicesOptions): Promise<LocalServices> {
  const closers: (() => Promise<void>)[] = [];
  const started: string[] = [];
  const reused: string[] = [];
  const env: Record<string, string> = {
    AWS_REGION: process.env.AWS_REGION ?? LOCAL_REGION,
    LAMINA_TABLE: process.env.LAMINA_TABLE ?? LOCAL_TABLE,
    LAMINA_BUCKET: process.env.LAMINA_BUCKET ?? LOCAL_BUCKET,
    LAMINA_REGIONS_SOURCE: 'builtin',
    LAMINA_BUCKET_REGION: LOCAL_REGION,
    LAMINA_LISTING_DIR: path.join(options.stateDir, 'listing'),
  };
  await adoptConfiguredEndpoints(env);
  const needed = (service: LocalService) => !options.needs || options.needs.includes(service);
  const embedded = (['dynamodb', 's3', 'lambda'] as const).filter(
    (service) => needed(service) && !env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`] && !configured(service.toUpperCase()),
  );
  // The user's own credentials are used whenever a service beyond this machine is configured (the embedded S3
  // takes any key, see acceptAnyS3AccessKey); only a set-up wholly on loopback, without credentials, gets stand-in keys.
  const endpoints = [...Object.entries(process.env), ...Object.entries(env)]
    .filter(([name, value]) => name.startsWith('AWS_ENDPOINT_URL') && value)
    .map(([, value]) => value!);
  if (!process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE && endpoints.every(isLoopback)) {
    env.AWS_ACCESS_KEY_ID = 'lamina-local';
    env.AWS_SECRET_ACCESS_KEY = 'lamina-local';
  }
  const previous = { ...process.env };
  const apply = () => Object.assign(process.env, env);
  const restore = () => {
    for (const name of Object.keys(env)) {
      if (previous[name] === undefined) delete process.env[name];
      else process.env[name] = previous[name];
    }
  };
  // Endpoints adopted from the shared config file are visible to the checks below and to the handlers.
  apply();
  let holding: Extract<Awaited<ReturnType<typeof acquireStateFolder>>, { kind: 'owner' }> | undefined;
  if (embedded.length > 0 && !options.inMemory) {
    const acquired = await acquireStateFolder(
      options.stateDir,
      { command: options.command ?? 'lamina', shared: Boolean(options.share) },
      (holder) =>
        new StateFolderError(
          `state folder ${options.stateDir} in use by PID ${holder.pid} (lamina ${holder.command}); wait for it to finish or stop it, ` +
            'or give another --state (a running `lamina serve` shares its services instead)',
        ),
    );
    if (acquired.kind === 'share') return shareServices(acquired.holder, env);
    holding = acquired;
  }
  try {
    // No folder is made for state unless a service that keeps some is started here.
    if (configured('DYNAMODB')) reused.push(`DynamoDB at ${configured('DYNAMODB')}`);
    else {
      const dynamoPath = path.join(options.stateDir, 'dynamodb');
      if (!options.inMemory) {
        await fs.mkdir(dynamoPath, { recursive: true });
        await checkDynamoStore(dynamoPath);
      }
      const server = dynalite({ path: options.inMemory ? undefined : dynamoPath, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
      env.AWS_ENDPOINT_URL_DYNAMODB = await listen(server);
      closers.push(() => new Promise((resolve) => server.close(() => resolve())));
      started.push(`DynamoDB (dynalite) at ${env.AWS_ENDPOINT_URL_DYNAMODB}`);
    }
    const embeddedS3 = needed('s3') && !configured('S3');
    if (!needed('s3')) {
      // Not used by the caller.
    } else if (!embeddedS3) reused.push(`S3 at ${configured('S3')}`);
    else {
      const directory = path.join(options.stateDir, 's3');
      await fs.mkdir(directory, { recursive: true });
      acceptAnyS3AccessKey();
      const s3 = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, allowMismatchedSignatures: true, vhostBuckets: false });
      // s3rver has no regions: lamina records each bucket's at CreateBucket and answers GetBucketLocation.
      const regions = await BucketRegions.open(path.join(options.stateDir, 's3-regions.json'));
      s3.middleware.unshift(regions.middleware());
      const address = await s3.run();
      env.AWS_ENDPOINT_URL_S3 = `http://127.0.0.1:${address.port}`;
      closers.push(async () => {
        await s3.close();
        await regions.idle();
      });
      started.push(`S3 (s3rver) at ${env.AWS_ENDPOINT_URL_S3}`);
    }
    apply();
    resetDocumentClient();
    let emulator: LambdaEmulator | undefined;
    if (!needed('lambda')) {
      // Not used by the caller.
    } else if (configured('LAMBDA')) reused.push(`Lambda at ${configured('LAMBDA')}`);
    else {
      emulator = await startLambdaEmulator({
        dataDir: path.join(options.stateDir, 'lambda'),
        readS3Object: (bucket, key) => new ArtifactStore(bucket).getBuffer(key),
        s3BucketRegion: (bucket) => new ArtifactStore(bucket).region(),
      });
      env.AWS_ENDPOINT_URL_LAMBDA = emulator.url;
      closers.push(() => emulator!.close());
      started.push(`Lambda layer API (lamina emulator) at ${emulator.url}`);
      apply();
    }
    const standIns = await startStandIns(options.stateDir);
    closers.push(standIns.close);
    Object.assign(env, standIns.env);
    started.push(...standIns.started);
    reused.push(...standIns.reused);
    apply();
    env.LAMINA_TOPIC_ARN = process.env.LAMINA_TOPIC_ARN ?? (await ensureTopic());
    apply();
    await ensureTable(env.LAMINA_TABLE);
    if (needed('s3')) await ensureBucketInRegion(env.LAMINA_BUCKET, LOCAL_REGION);
    // The embedded S3 gets a staging bucket per region, as `cdk deploy --all` makes them; a configured S3 is the user's.
    if (embeddedS3) Object.assign(env, await createLocalStagingBuckets());
    apply();
    await holding?.ready(env);
    return {
      env,
      emulator,
      standIns: standIns.standIns,
      started,
      reused,
      close: async () => {
        resetDocumentClient();
        for (const close of closers.reverse()) await close().catch(() => undefined);
        await holding?.release();
        restore();
      },
    };
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await holding?.release();
    restore();
    throw error;
  }
}

/** Uses the services another process runs on this state folder (a `lamina serve`), leaving them running. */
function shareServices(holder: { pid: number; command: string; env: Record<string, string> }, own: Record<string, string>): LocalServices {
  const env = { ...own, ...holder.env };
  const previous = { ...process.env };
  Object.assign(process.env, env);
  resetDocumentClient();
  return {
    env,
    standIns: {},
    started: [],
    reused: [`the services of lamina ${holder.command} (PID ${holder.pid}) on this state folder`],
    close: async () => {
      resetDocumentClient();
      for (const name of Object.keys(env)) {
        if (previous[name] === undefined) delete process.env[name];
        else process.env[name] = previous[name];
      }
    },
  };
}
