import { MAX_PUBLISH_REQUEST_BYTES } from './errors';
import * as ops from './operations';
import type { OperationContext, OperationResult } from './operations';

/** One REST operation of the Lambda layer API, as @aws-sdk/client-lambda addresses it. */
export interface Route {
  operation: string;
  method: string;
  /** Path segments after /2018-10-31/; `{Name}` segments become parameters. */
  segments: string[];
  /** Extra condition on the query string (GetLayerVersionByArn shares its path with ListLayers). */
  when?: (query: URLSearchParams) => boolean;
  /** Largest body accepted; bigger bodies get RequestEntityTooLargeException. */
  maxBody: number;
  handle: (ctx: OperationContext) => Promise<OperationResult>;
}

const SMALL_BODY = 1024 * 1024;
export const API_PREFIX = '/2018-10-31/';

const route = (
  operation: string,
  method: string,
  path: string,
  handle: Route['handle'],
  extra: Partial<Pick<Route, 'when' | 'maxBody'>> = {},
): Route => ({ operation, method, segments: path.split('/'), handle, maxBody: extra.maxBody ?? SMALL_BODY, when: extra.when });

const isFindLayerVersion = (query: URLSearchParams) => query.get('find') === 'LayerVersion';

export const ROUTES: Route[] = [
  route('GetLayerVersionByArn', 'GET', 'layers', ops.getLayerVersionByArn, { when: isFindLayerVersion }),
  route('ListLayers', 'GET', 'layers', ops.listLayers, { when: (q) => !isFindLayerVersion(q) }),
  route('PublishLayerVersion', 'POST', 'layers/{LayerName}/versions', ops.publishLayerVersion, { maxBody: MAX_PUBLISH_REQUEST_BYTES }),
  route('ListLayerVersions', 'GET', 'layers/{LayerName}/versions', ops.listLayerVersions),
  route('GetLayerVersion', 'GET', 'layers/{LayerName}/versions/{VersionNumber}', ops.getLayerVersion),
  route('DeleteLayerVersion', 'DELETE', 'layers/{LayerName}/versions/{VersionNumber}', ops.deleteLayerVersion),
  route('AddLayerVersionPermission', 'POST', 'layers/{LayerName}/versions/{VersionNumber}/policy', ops.addLayerVersionPermission),
  route('GetLayerVersionPolicy', 'GET', 'layers/{LayerName}/versions/{VersionNumber}/policy', ops.getLayerVersionPolicy),
  route(
    'RemoveLayerVersionPermission',
    'DELETE',
    'layers/{LayerName}/versions/{VersionNumber}/policy/{StatementId}',
    ops.removeLayerVersionPermission,
  ),
];

/** Finds the operation for a method and raw (still percent-encoded) path, with its decoded path parameters. */
export function matchRoute(
  method: string,
  rawPath: string,
  query: URLSearchParams,
): { route: Route; params: Record<string, string> } | undefined {
  if (!rawPath.startsWith(API_PREFIX)) return undefined;
  const parts = rawPath.slice(API_PREFIX.length).replace(/\/$/, '').split('/');
  for (const candidate of ROUTES) {
    if (candidate.method !== method || candidate.segments.length !== parts.length) continue;
    if (candidate.when && !candidate.when(query)) continue;
    const params: Record<string, string> = {};
    const matched = candidate.segments.every((segment, index) => {
      if (segment.startsWith('{')) {
        try {
          params[segment.slice(1, -1)] = decodeURIComponent(parts[index]);
        } catch {
          return false;
        }
        return parts[index] !== '';
      }
      return segment === parts[index];
    });
    if (matched) return { route: candidate, params };
  }
  return undefined;
}
