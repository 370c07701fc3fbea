import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { layerArn, layerVersionArn, parseLayerName } from './constraints';
import { LambdaApiError, requestTooLarge, sendError } from './errors';
import { ControlPlanePacing } from './control-plane-pacing';
import { FaultInjector, faultsFromEnvironment, type EmulatorFault, type RequestTarget } from './faults';
import { readBody, sendJson } from './http-io';
import { createLimiter } from './limiter';
import type { ReadS3Object, S3BucketRegion } from './layer-content';
import { renderPolicy } from './policy';
import type { OperationResult } from './operations';
import { matchRoute, type Route } from './routes';
import { regionFromRequest } from './sigv4-region';
import { LayerStore } from './store';

export type { EmulatorFault } from './faults';
export type { ReadS3Object, S3BucketRegion } from './layer-content';

export interface LambdaEmulatorOptions {
  /** Folder holding the emulator's state (JSON metadata and content-addressed zips); reused across restarts. */
  dataDir: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Account id in ARNs; default 000000000000. */
  accountId?: string;
  /** Reads S3 content for PublishLayerVersion with S3Bucket/S3Key. */
  readS3Object?: ReadS3Object;
  /** The region of an S3 bucket; when given, content from a bucket of another region is refused as Lambda does. */
  s3BucketRegion?: S3BucketRegion;
}

/** One live layer version, as the emulator holds it. */
export interface EmulatorVersionSnapshot {
  region: string;
  layerName: string;
  version: number;
  layerArn: string;
  layerVersionArn: string;
  codeSha256: string;
  codeSize: number;
  description: string;
  createdDate: string;
  compatibleRuntimes: string[];
  compatibleArchitectures: string[];
  licenseInfo?: string;
  /** The policy document GetLayerVersionPolicy would return, parsed; absent when there is none. */
  policy?: { Version: string; Id: string; Statement: Record<string, unknown>[] };
}

export interface LambdaEmulator {
  /** e.g. http://127.0.0.1:40123; give it to LambdaClient as `endpoint` or as AWS_ENDPOINT_URL_LAMBDA. */
  url: string;
  port: number;
  /** Latency and per-region rate of the control plane (off unless configured), and the calls it counted. */
  pacing: ControlPlanePacing;
  /** Stops listening, ends open connections and waits for pending state writes. */
  close(): Promise<void>;
  /** Makes matching requests fail like AWS would (see EmulatorFault). */
  injectFault(fault: EmulatorFault): void;
  /** Removes every injected fault, including those read from LAMINA_EMULATOR_FAULTS. */
  clearFaults(): void;
  /** The operations asked of it so far (the last 10,000), by region: tests count calls with it. */
  requests(): RequestTarget[];
  /** Every live version (of one region, when given), sorted by region, layer name and version. */
  snapshot(region?: string): Promise<EmulatorVersionSnapshot[]>;
}

const CONTENT_PREFIX = '/_lamina/layer-content/';
/** Publishes of one region that may hold zip bytes in memory at the same time. */
const PUBLISH_SLOTS = 4;

/**
 * Starts a protocol-faithful emulator of the Lambda layer API (the 2018-10-31 layer operations) on node:http, so an
 * unmodified LambdaClient works against it. Faults listed in LAMINA_EMULATOR_FAULTS (a JSON array) are injected at start.
 */
export async function startLambdaEmulator(options: LambdaEmulatorOptions): Promise<LambdaEmulator> {
  const accountId = options.accountId ?? '000000000000';
  if (!/^\d{12}$/.test(accountId)) throw new Error(`Lambda emulator accountId must be 12 digits, got '${accountId}'.`);
  const faults = new FaultInjector();
  const requestLog: RequestTarget[] = [];
  for (const fault of faultsFromEnvironment()) faults.add(fault);
  const store = await LayerStore.open(options.dataDir);
  // Per region, as Lambda's own limits are: one layer published to every region at once is not queued behind a
  // global count (the slots only bound the zips one region's publishes hold in memory).
  const publishSlots = new Map<string, ReturnType<typeof createLimiter>>();
  const withPublishSlot = (region: string) => publishSlots.get(region) ?? publishSlots.set(region, createLimiter(PUBLISH_SLOTS)).get(region)!;
  const pacing = ControlPlanePacing.fromEnvironment();
  let baseUrl = '';

  async function serveContent(res: ServerResponse, rawPath: string): Promise<void> {
    const [region, encodedName, versionText] = rawPath.slice(CONTENT_PREFIX.length).split('/');
    let record;
    try {
      record = store.getVersion(region, decodeURIComponent(encodedName ?? ''), Number(versionText));
    } catch {
      record = undefined;
    }
    if (!record || !(await store.content.has(record.sha256Hex))) {
      sendJson(res, 404, { message: `No layer content at ${rawPath}: the version does not exist (any more).` });
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/zip', 'Content-Length': record.codeSize });
    const stream = store.content.open(record.sha256Hex);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const rawPath = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    if (method === 'GET' && rawPath.startsWith(CONTENT_PREFIX)) return serveContent(res, rawPath);
    const matched = matchRoute(method, rawPath, url.searchParams);
    if (!matched) {
      throw new LambdaApiError('UnknownOperationException', 404, `Unknown operation: ${method} ${rawPath}`);
    }
    const { route, params } = matched;
    const region = regionFromRequest(req.headers, url.searchParams);
    const layerName = params.LayerName !== undefined ? parseLayerName(params.LayerName).name : undefined;
    requestLog.push({ region, operation: route.operation, layerName });
    if (requestLog.length > 10_000) requestLog.shift();
    faults.check({ region, operation: route.operation, layerName });
    await pacing.admit(region);
    const run = route.operation === 'PublishLayerVersion' ? withPublishSlot(region) : <T>(task: () => Promise<T>) => task();
    const result = await run(() => execute(req, route, params, url, region));
    sendJson(res, result.status, result.body);
  }

  async function execute(
    req: IncomingMessage,
    route: Route,
    params: Record<string, string>,
    url: URL,
    region: string,
  ): Promise<OperationResult> {
    let body: Record<string, unknown> = {};
    if (req.method === 'POST') {
      const result = await readBody(req, route.maxBody);
      if (result.tooLarge) throw requestTooLarge(route.operation);
      if (result.body.length > 0) {
        try {
          body = JSON.parse(result.body.toString('utf8')) as Record<string, unknown>;
        } catch (error) {
          throw new LambdaApiError('InvalidRequestContentException', 400, `Could not parse request body into json: ${(error as Error).message}`);
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          throw new LambdaApiError('InvalidRequestContentException', 400, 'Could not parse request body into json: expected an object');
        }
      }
    }
    return route.handle({
      region,
      accountId,
      baseUrl,
      store,
      readS3Object: options.readS3Object,
      s3BucketRegion: options.s3BucketRegion,
      params,
      query: url.searchParams,
      body,
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      // Read what is left of the body so the client can finish its upload and see the error.
      if (!req.complete) req.resume();
      sendError(res, error);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  baseUrl = `http://${host}:${address.port}`;

  return {
    url: baseUrl,
    port: address.port,
    async close() {
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      await store.close();
    },
    pacing,
    injectFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    requests: () => [...requestLog],
    async snapshot(region?: string) {
      await store.idle();
      const versions: EmulatorVersionSnapshot[] = [];
      for (const regionName of store.regionNames()) {
        if (region !== undefined && regionName !== region) continue;
        for (const name of store.layerNames(regionName)) {
          for (const record of store.versionsOf(regionName, name).reverse()) {
            const arn = layerVersionArn(regionName, accountId, name, record.version);
            versions.push({
              region: regionName,
              layerName: name,
              version: record.version,
              layerArn: layerArn(regionName, accountId, name),
              layerVersionArn: arn,
              codeSha256: record.codeSha256,
              codeSize: record.codeSize,
              description: record.description,
              createdDate: record.createdDate,
              compatibleRuntimes: record.compatibleRuntimes ?? [],
              compatibleArchitectures: record.compatibleArchitectures ?? [],
              ...(record.licenseInfo !== undefined ? { licenseInfo: record.licenseInfo } : {}),
              ...(record.policy ? { policy: JSON.parse(renderPolicy(record.policy, arn)) } : {}),
            });
          }
        }
      }
      return versions;
    },
  };
}
