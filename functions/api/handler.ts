import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ArtifactStore } from '../aws/artifacts';
import type { ListingRequest } from '../listing/http';
import { ResponseCache } from '../listing/response-cache';
import { handleListingRequest, type ListingDeps } from '../listing/routes';
import { LayerStore } from '../store/layer-store';
import { NoticeStore } from '../store/notice-store';
import { nextRuns } from '../catalog/schedule';

let deps: ListingDeps | undefined;

/** The listing's dependencies, made once per container (clients are reused across invocations). */
function listingDeps(): ListingDeps {
  if (!deps) {
    let artifacts: ArtifactStore | undefined;
    const store = new LayerStore();
    const expression = process.env.LAMINA_SCHEDULE;
    deps = {
      store,
      // The deployed schedule (CDK sets LAMINA_SCHEDULE from the catalog) and the newest run's start.
      schedule: async () =>
        expression ? { expression, lastRun: (await store.listRuns({ limit: 1 })).items[0]?.startedAt, nextRun: nextRuns(expression, new Date())[0]?.toISOString() } : undefined,
      notices: new NoticeStore(),
      readArtifact: (key) => (artifacts ??= ArtifactStore.fromEnvironment()).getText(key),
      cache: ResponseCache.fromEnvironment(),
      logError: (message, error) =>
        console.error(JSON.stringify({ level: 'ERROR', timestamp: new Date().toISOString(), message, error: String((error as Error)?.stack ?? error) })),
    };
  }
  return deps;
}

/** Forgets the cached dependencies, so the next request reads the environment again (tests, `lamina serve`). */
export function resetApiHandler(): void {
  deps = undefined;
}

/**
 * The request an API Gateway HTTP API (payload format 2.0) event stands for. A named stage's prefix is taken off
 * the path, so routes are the same under `$default` and under `/prod`.
 */
export function listingRequestOf(event: APIGatewayProxyEventV2): ListingRequest {
  let path = event.rawPath || '/';
  const stage = event.requestContext?.stage;
  if (stage && stage !== '$default' && (path === `/${stage}` || path.startsWith(`/${stage}/`))) path = path.slice(stage.length + 1) || '/';
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
  return {
    method: event.requestContext?.http?.method ?? 'GET',
    path,
    query: new URLSearchParams(event.rawQueryString ?? ''),
    headers,
  };
}

/** An API Gateway HTTP API (payload format 2.0) handler over the given dependencies (tests and `lamina serve`). */
export function createApiHandler(getDeps: () => ListingDeps) {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const response = await handleListingRequest(listingRequestOf(event), getDeps());
    return { statusCode: response.status, headers: response.headers, body: response.body, isBase64Encoded: false };
  };
}

/** Lambda handler of the listing API (API Gateway HTTP API, payload format 2.0). */
export const handler = createApiHandler(listingDeps);
