import { existsSync } from 'node:fs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { ArtifactStore } from '../../functions/aws/artifacts';
import { createApiHandler } from '../../functions/api/handler';
import { ResponseCache } from '../../functions/listing/response-cache';
import type { ListingDeps } from '../../functions/listing/routes';
import { LayerStore } from '../../functions/store/layer-store';
import { NoticeStore } from '../../functions/store/notice-store';
import { requireLocalStore, startLocalServices } from '../services';
import { EXIT, UsageError, type Command } from './command';
import { DEFAULT_CATALOG, DEFAULT_STATE_DIR, parseOptions } from './options';
import { startPipelineService } from '../stepfunctions-api/pipeline-service';
import { loadCatalog } from '../../functions/catalog/catalog';

/**
 * The API Gateway HTTP API (payload 2.0) event for a node request, as API Gateway would build it: the same
 * Lambda handler then answers locally and deployed.
 */
export function apiGatewayEventOf(request: IncomingMessage): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const now = new Date();
  const method = request.method ?? 'GET';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    isBase64Encoded: false,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: { method, path: url.pathname, protocol: `HTTP/${request.httpVersion}`, sourceIp: request.socket.remoteAddress ?? '', userAgent: headers['user-agent'] ?? '' },
      requestId: `${now.getTime()}-${Math.random().toString(36).slice(2)}`,
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
  };
}

export interface ListingServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves the listing API's Lambda handler over HTTP on 127.0.0.1 (`lamina serve`, tests and the benchmark). */
export async function startListingServer(options: { port?: number; host?: string; deps: () => ListingDeps }): Promise<ListingServer> {
  const handler = createApiHandler(options.deps);
  const server = createServer((request, response) => {
    // The body of a GET is ignored, as API Gateway would pass it on and the handler would not read it.
    request.resume();
    handler(apiGatewayEventOf(request)).then(
      (result) => {
        const body = typeof result.body === 'string' ? result.body : '';
        response.writeHead(result.statusCode ?? 200, { ...(result.headers as Record<string, string>), 'content-length': Buffer.byteLength(body) });
        response.end(request.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        console.error(error);
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { code: 'InternalError', message: 'the listing could not be read' } }));
      },
    );
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The listing's dependencies over whatever the SDK's endpoint settings name (the local services once started). */
export function localListingDeps(): ListingDeps {
  const artifacts = ArtifactStore.fromEnvironment();
  return {
    store: new LayerStore(),
    notices: new NoticeStore(),
    readArtifact: (key) => artifacts.getText(key),
    logError: (message, error) => console.error(message, error),
    cache: ResponseCache.fromEnvironment(),
  };
}

export const serveCommand: Command = {
  async run(args) {
    const { values } = parseOptions(args, {
      port: { type: 'string', default: '8080' },
      'sfn-port': { type: 'string', default: '0' },
      catalog: { type: 'string', default: DEFAULT_CATALOG },
      state: { type: 'string', default: DEFAULT_STATE_DIR },
    });
    const portOf = (option: string, text: string) => {
      const value = Number(text);
      if (!/^\d+$/.test(text) || value < 0 || value > 65535) throw new UsageError(`--${option} ${text} is not a TCP port (0-65535)`);
      return value;
    };
    const port = portOf('port', values.port!);
    const sfnPort = portOf('sfn-port', values['sfn-port']!);
    // A state folder that is not there is a typo; an empty one is fine: serve runs the pipeline that fills it.
    if (!existsSync(path.resolve(values.state!))) requireLocalStore(path.resolve(values.state!));
    const catalogFile = path.resolve(values.catalog!);
    // The catalog the served pipeline runs (and its schedule) is checked before anything starts.
    const catalog = await loadCatalog(catalogFile);
    process.env.LAMINA_LOG_FORMAT ??= 'text';
    const services = await startLocalServices({ stateDir: path.resolve(values.state!), command: 'serve', share: true });
    let server: ListingServer;
    let pipeline: Awaited<ReturnType<typeof startPipelineService>>;
    try {
      const deps = localListingDeps();
      server = await startListingServer({ port, deps: () => deps });
      pipeline = await startPipelineService({ stateDir: path.resolve(values.state!), catalog, services, port: sfnPort }).catch(async (error) => {
        await server.close();
        throw error;
      });
      const schedule = pipeline.schedule;
      deps.schedule = async () => schedule.state();
    } catch (error) {
      await services.close();
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UsageError(`port ${port} is in use; pick another with --port`);
      throw error;
    }
    // Listening before the lines below say serve is up: whoever reads them may stop it at once. Every signal, not
    // once: a second Ctrl-C while serve shuts down must not cut the shutdown short.
    const stopped = new Promise<void>((resolve) => {
      process.on('SIGINT', () => resolve());
      process.on('SIGTERM', () => resolve());
    });
    console.log(`Step Functions API: ${pipeline.api.url}`);
    console.log(`State machine: ${pipeline.api.stateMachineArn}`);
    console.error(`Schedule: ${catalog.settings.schedule} (UTC), next run ${pipeline.schedule.state().nextRun ?? 'never'}`);
    console.error(`Listing API and page at ${server.url}/ (JSON under ${server.url}/v1/regions); Ctrl-C stops it.`);
    console.error(`Start a run: lamina start --wait (or AWS_ENDPOINT_URL_SFN=${pipeline.api.url} aws stepfunctions start-execution --state-machine-arn ${pipeline.api.stateMachineArn})`);
    await stopped;
    await pipeline.close();
    await server.close();
    await services.close();
    return EXIT.ok;
  },
};
