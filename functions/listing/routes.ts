import type { Key, LayerStore, Page } from '../store/layer-store';
import type { LatestItem } from '../../schema/table';
import { decodeCursor, encodeCursor, type CursorKey } from './cursor';
import { negotiateFormat, renderListing, type ListingPage } from './formats';
import type { ListingFormat } from './known-values';
import { HttpError, badRequest, conditional, errorResponse, notFound, withValidators, type ListingRequest, type ListingResponse } from './http';
import type { ResponseCache } from './response-cache';
import { describeHealth } from '../regions/health';
import { LAYER_COLUMNS, LISTED_ATTRIBUTES, LISTED_JSON, REGION_COLUMNS, toListingItem, type ListingItem, type RegionEntry } from './items';
import {
  DEFAULT_PAGE_SIZE,
  LAYER_NAME,
  LISTING_ARCHITECTURES,
  LISTING_KINDS,
  LISTING_REGIONS,
  LISTING_RUNTIMES,
  MAX_PAGE_SIZE,
  NAME_FILTER,
  SHA256_HEX,
} from './known-values';
import { pageSecurityPolicy, renderPage } from './page';
import { FEED_ENTRIES, feedPath, renderFeed } from '../notices/feed';
import type { NoticeStore } from '../store/notice-store';
import { describeCounts, outcomesPerRegion } from '../report/summary';
import { OUTCOME_COLUMNS, RUN_ID } from './run-outcomes';

/** What the listing API reads: one LayerStore call per request, and the artifact store for SBOM documents. */
export interface ListingDeps {
  store: Pick<LayerStore, 'getRegions' | 'listLatestInRegion' | 'listLatestForLayer' | 'listVersions' | 'listBuilds' | 'getBuild'> &
    Partial<Pick<LayerStore, 'listRegionHealth' | 'getRun' | 'listOutcomes'>>;
  /** Reads an SBOM document the build stored. */
  readArtifact: (key: string) => Promise<string>;
  /** HMAC secret of cursors; cursorSecret() when absent. */
  cursorSecret?: string;
  /** Told about errors that are not the client's fault (they become a 500). */
  logError?: (message: string, error: unknown) => void;
  /** Keeps successful answers for a few seconds (off when absent): see response-cache.ts. */
  cache?: ResponseCache;
  /** The pipeline's schedule, its last and next run (`/v1/schedule`); nulls when absent. */
  schedule?: () => Promise<{ expression: string; lastRun?: string; nextRun?: string } | undefined>;
  /** The notices the Atom feeds list; the feeds answer 404 when absent. */
  notices?: Pick<NoticeStore, 'recent'>;
}

const LISTING_CACHE = 'public, max-age=60';
const PAGE_CACHE = 'public, max-age=300';
const IMMUTABLE_CACHE = 'public, max-age=86400, immutable';
/** The listing is public data: any web page may read it (no credentials are involved). */
const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'etag, link, x-next-cursor, content-disposition',
};
const CORS_PREFLIGHT = {
  'access-control-allow-methods': 'GET, HEAD',
  'access-control-allow-headers': 'accept, if-none-match',
  'access-control-max-age': '86400',
};

/** Query parameters each route takes besides `format`; anything else is a 400 (a typo should not pass silently). */
const COMMON_PARAMS = ['format'];
const PAGED_PARAMS = [...COMMON_PARAMS, 'cursor', 'limit'];

function checkParams(request: ListingRequest, allowed: string[]): void {
  const seen = new Set<string>();
  for (const name of request.query.keys()) {
    if (!allowed.includes(name)) throw badRequest('UnknownParameter', `query parameter ${JSON.stringify(name)} is not one this route takes`, allowed);
    if (seen.has(name)) throw badRequest('RepeatedParameter', `query parameter ${JSON.stringify(name)} is given more than once; give it once`);
    seen.add(name);
  }
}

/** A query parameter that must be one of a list of values, or absent. */
function oneOf(request: ListingRequest, name: string, valid: readonly string[], code: string): string | undefined {
  const value = request.query.get(name);
  if (value === null) return undefined;
  if (!valid.includes(value)) throw badRequest(code, `${name} ${JSON.stringify(value)} is not one lamina knows`, valid);
  return value;
}

function regionOf(value: string | null, what: string): string {
  if (value === null || value === '') throw badRequest('MissingRegion', `${what}: add ?region=<region>`, LISTING_REGIONS);
  if (!LISTING_REGIONS.includes(value)) throw badRequest('InvalidRegion', `region ${JSON.stringify(value)} is not a region where Lambda runs`, LISTING_REGIONS);
  return value;
}

function layerNameOf(value: string): string {
  if (!LAYER_NAME.test(value)) {
    throw badRequest('InvalidLayerName', `${JSON.stringify(value)} is not a layer name: layer names are 1-140 letters, digits, - and _`);
  }
  return value;
}

function pageRequest(request: ListingRequest, scope: string, secret: string | undefined): { limit: number; startKey?: CursorKey } {
  const limitText = request.query.get('limit');
  let limit = DEFAULT_PAGE_SIZE;
  if (limitText !== null) {
    limit = /^\d{1,4}$/.test(limitText) ? Number(limitText) : NaN;
    if (!(limit >= 1 && limit <= MAX_PAGE_SIZE)) {
      throw badRequest('InvalidLimit', `limit ${JSON.stringify(limitText)} is not a whole number from 1 to ${MAX_PAGE_SIZE}`);
    }
  }
  const cursor = request.query.get('cursor');
  return { limit, startKey: cursor === null ? undefined : decodeCursor(cursor, scope, secret) };
}

/** The cursor and the link to the next page of a listing, when there is one. */
function nextPage(request: ListingRequest, page: Page<unknown>, scope: string, secret: string | undefined) {
  if (!page.lastKey) return {};
  const nextCursor = encodeCursor(page.lastKey, scope, secret);
  const query = new URLSearchParams(request.query);
  query.set('cursor', nextCursor);
  // A query-only reference resolves against the current path (RFC 3986 5.2.2), so it works under any base path.
  return { nextCursor, nextHref: `?${query}` };
}

/** A page of latest pointers as the listing shows it: `json` when the JSON format is wanted, else the items. */
interface PointerPage {
  items: ListingItem[];
  json?: string[];
  count: number;
  lastKey?: Key;
}

/**
 * Reads a page of latest pointers for the listing: one Query of each pointer's stored listing JSON. A page with a
 * pointer written before pointers stored it is read again, attribute by attribute (LISTED_ATTRIBUTES).
 */
async function pointerPage(read: (attributes: readonly string[]) => Promise<Page<LatestItem>>, format: ListingFormat): Promise<PointerPage> {
  const page = await read([LISTED_JSON]);
  const json = page.items.map((item) => item[LISTED_JSON]);
  if (json.every((text): text is string => typeof text === 'string')) {
    if (format === 'json') return { items: [], json, count: json.length, lastKey: page.lastKey };
    return { items: json.map((text) => JSON.parse(text) as ListingItem), count: json.length, lastKey: page.lastKey };
  }
  const full = await read(LISTED_ATTRIBUTES);
  return { items: full.items.map(toListingItem), count: full.items.length, lastKey: full.lastKey };
}

function respond<T>(request: ListingRequest, page: ListingPage<T>): ListingResponse {
  const response = renderListing(page, negotiateFormat(request));
  if (page.nextHref) response.headers.link = `<${page.nextHref}>; rel="next"`;
  return withValidators(response, LISTING_CACHE);
}

// ---- routes ------------------------------------------------------------------------------------------------
async function regions(request: ListingRequest, deps: ListingDeps): Promise<ListingResponse> {
  checkParams(request, COMMON_PARAMS);
  negotiateFormat(request);
  const health = new Map(((await deps.store.listRegionHealth?.())?.regions ?? []).map((entry) => [entry.region, entry]));
  const items: RegionEntry[] = (await deps.store.getRegions()).map((region) => {
    const known = health.get(region);
    return known && known.status !== 'healthy' ? { region, health: known.status, healthDetail: describeHealth(known) } : { region, health: 'healthy' };
  });
  return respond(request, { title: 'Regions lamina publishes to', filename: 'lamina-regions', columns: REGION_COLUMNS, items });
}

async function regionLayers(request: ListingRequest, deps: ListingDeps, regionParam: string): Promise<ListingResponse> {
  checkParams(request, [...PAGED_PARAMS, 'runtime', 'arch', 'kind', 'q']);
  const region = regionOf(regionParam, 'the layers of a region');
  const format = negotiateFormat(request);
  const runtime = oneOf(request, 'runtime', LISTING_RUNTIMES, 'InvalidRuntime');
  const arch = oneOf(request, 'arch', LISTING_ARCHITECTURES, 'InvalidArchitecture');
  const kind = oneOf(request, 'kind', LISTING_KINDS, 'InvalidKind');
  const q = request.query.get('q');
  if (q !== null && !NAME_FILTER.test(q)) {
    throw badRequest('InvalidNameFilter', `q ${JSON.stringify(q)} is not part of a layer name: use 1-140 letters, digits, - and _`);
  }
  const scope = `region-layers:${region}`;
  const paging = pageRequest(request, scope, deps.cursorSecret);

  // Every filter is a placeholder in a FilterExpression: user input never becomes part of an expression or a key.
  const conditions: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const wanted: [value: string | null | undefined, attribute: string, placeholder: string, test: (name: string, value: string) => string][] = [
    [runtime, 'runtimes', ':runtime', (name, value) => `contains(${name}, ${value})`],
    [arch, 'architectures', ':arch', (name, value) => `contains(${name}, ${value})`],
    [kind, 'kind', ':kind', (name, value) => `${name} = ${value}`],
    [q, 'layerName', ':q', (name, value) => `contains(${name}, ${value})`],
  ];
  for (const [value, attribute, placeholder, test] of wanted) {
    if (!value) continue;
    conditions.push(test(`#${attribute}`, placeholder));
    names[`#${attribute}`] = attribute;
    values[placeholder] = value;
  }
  const filter = conditions.length > 0 ? { FilterExpression: conditions.join(' AND '), ExpressionAttributeNames: names, values } : undefined;
  const page = await pointerPage((attributes) => deps.store.listLatestInRegion(region, paging, filter, attributes), format);
  return respond(request, {
    title: `Layers in ${region}`,
    filename: `lamina-${region}-layers`,
    columns: LAYER_COLUMNS,
    items: page.items,
    json: page.json,
    meta: { region, filters: { runtime: runtime ?? null, arch: arch ?? null, kind: kind ?? null, q: q ?? null } },
    ...nextPage(request, page, scope, deps.cursorSecret),
  });
}

async function layerEverywhere(request: ListingRequest, deps: ListingDeps, nameParam: string): Promise<ListingResponse> {
  checkParams(request, PAGED_PARAMS);
  const name = layerNameOf(nameParam);
  const format = negotiateFormat(request);
  const scope = `layer-regions:${name}`;
  const paging = pageRequest(request, scope, deps.cursorSecret);
  const page = await pointerPage((attributes) => deps.store.listLatestForLayer(name, paging, attributes), format);
  if (page.count === 0 && !paging.startKey && !page.lastKey) throw notFound('LayerNotFound', `no layer named ${JSON.stringify(name)} is published`);
  return respond(request, {
    title: `${name} in every region`,
    filename: `${name}-regions`,
    columns: LAYER_COLUMNS,
    items: page.items,
    json: page.json,
    meta: { name },
    ...nextPage(request, page, scope, deps.cursorSecret),
  });
}

async function layerVersions(request: ListingRequest, deps: ListingDeps, nameParam: string): Promise<ListingResponse> {
  checkParams(request, [...PAGED_PARAMS, 'region']);
  const name = layerNameOf(nameParam);
  const region = regionOf(request.query.get('region'), 'versions are listed per region');
  negotiateFormat(request);
  const scope = `layer-versions:${name}:${region}`;
  const paging = pageRequest(request, scope, deps.cursorSecret);
  const page = await deps.store.listVersions(name, region, paging);
  if (page.items.length === 0 && !paging.startKey && !page.lastKey) {
    throw notFound('LayerNotFound', `no layer named ${JSON.stringify(name)} was ever published in ${region}`);
  }
  return respond(request, {
    title: `Versions of ${name} in ${region}`,
    filename: `${name}-${region}-versions`,
    columns: LAYER_COLUMNS,
    items: page.items.map(toListingItem),
    meta: { name, region },
    ...nextPage(request, page, scope, deps.cursorSecret),
  });
}

async function layerSbom(request: ListingRequest, deps: ListingDeps, nameParam: string): Promise<ListingResponse> {
  checkParams(request, ['format', 'sha256']);
  const name = layerNameOf(nameParam);
  const format = request.query.get('format');
  if (format !== null && format !== 'json') throw badRequest('InvalidFormat', `an SBOM is a JSON document (CycloneDX); format ${JSON.stringify(format)} is not offered`, ['json']);
  const sha256 = request.query.get('sha256');
  let sbomKey: string | undefined;
  if (sha256 !== null) {
    if (!SHA256_HEX.test(sha256)) throw badRequest('InvalidSha256', `sha256 ${JSON.stringify(sha256)} is not 64 lower-case hex digits`);
    const build = await deps.store.getBuild(name, sha256);
    if (!build) throw notFound('BuildNotFound', `layer ${JSON.stringify(name)} has no build with sha256 ${sha256}`);
    sbomKey = build.sbomKey;
  } else {
    // One Query over the layer's builds (small attributes only); the newest build with an SBOM wins.
    const builds = (await deps.store.listBuilds(name)).items;
    if (builds.length === 0) throw notFound('LayerNotFound', `no layer named ${JSON.stringify(name)} was ever built`);
    sbomKey = builds.filter((build) => build.sbomKey).sort((a, b) => (a.builtAt < b.builtAt ? 1 : -1))[0]?.sbomKey;
  }
  if (!sbomKey) throw notFound('SbomNotFound', `the build of ${JSON.stringify(name)} recorded no bill of materials (only some layer kinds produce one)`);
  let document: string;
  try {
    document = await deps.readArtifact(sbomKey);
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || (error as Error).name === 'NoSuchKey') throw notFound('SbomNotFound', `the bill of materials of ${JSON.stringify(name)} is recorded but missing from the artifact store`);
    throw error;
  }
  const contentType = sbomKey.endsWith('.cdx.json') ? 'application/vnd.cyclonedx+json; charset=utf-8' : 'application/json; charset=utf-8';
  return withValidators({ status: 200, headers: { 'content-type': contentType }, body: document }, sha256 ? IMMUTABLE_CACHE : LISTING_CACHE);
}

/** The listing's root URL as the client reached it (API Gateway sets X-Forwarded-Proto; `lamina serve` is http). */
function baseUrlOf(request: ListingRequest): string {
  const proto = request.headers['x-forwarded-proto']?.split(',')[0].trim() || 'http';
  return `${proto}://${request.headers.host ?? '127.0.0.1'}/`;
}

/** The Atom feed of every layer's notices, or of one layer's (an unknown layer has an empty feed to subscribe to). */
async function feed(request: ListingRequest, deps: ListingDeps, nameParam?: string): Promise<ListingResponse> {
  checkParams(request, []);
  const layerName = nameParam === undefined ? undefined : layerNameOf(nameParam);
  if (!deps.notices) throw notFound('FeedNotAvailable', 'this listing serves no notices');
  const notices = await deps.notices.recent(FEED_ENTRIES, layerName);
  const body = renderFeed(notices, { baseUrl: baseUrlOf(request), layerName, selfPath: feedPath(layerName, true) });
  return withValidators({ status: 200, headers: { 'content-type': 'application/atom+xml; charset=utf-8' }, body }, LISTING_CACHE);
}

/** When the pipeline runs by itself: the schedule expression (UTC), the last and the next run. */
async function schedule(request: ListingRequest, deps: ListingDeps): Promise<ListingResponse> {
  checkParams(request, []);
  // A listing without a schedule says so with nulls, so the page need not tell a 404 from an error.
  const state = await deps.schedule?.();
  const body = JSON.stringify({ expression: state?.expression ?? null, timezone: 'UTC', lastRun: state?.lastRun ?? null, nextRun: state?.nextRun ?? null });
  return withValidators({ status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body }, 'public, max-age=30');
}

/** The page at the root; it ignores query parameters (links shared with tracking parameters still work). */
function homePage(request: ListingRequest): ListingResponse {
  const headers = {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': `${pageSecurityPolicy()}; frame-ancestors 'none'`,
  };
  return withValidators({ status: 200, headers, body: renderPage({ source: 'api' }) }, PAGE_CACHE);
}

type Route = (request: ListingRequest, deps: ListingDeps, ...params: string[]) => Promise<ListingResponse> | ListingResponse;

/** Routes by path shape: [pattern, handler]; a pattern's groups are the path parameters. */
const ROUTES: [RegExp, Route][] = [
  [/^\/$/, homePage],
  [/^\/v1\/regions$/, regions],
  [/^\/v1\/regions\/([^/]+)\/layers$/, regionLayers],
  [/^\/v1\/layers\/([^/]+)$/, layerEverywhere],
  [/^\/v1\/layers\/([^/]+)\/versions$/, layerVersions],
  [/^\/v1\/layers\/([^/]+)\/sbom$/, layerSbom],
  [/^\/v1\/feed\.atom$/, (request, deps) => feed(request, deps)],
  [/^\/v1\/schedule$/, schedule],
  [/^\/v1\/runs\/([^/]+)$/, runOutcomes],
  [/^\/v1\/layers\/([^/]+)\/feed\.atom$/, feed],
];

/** A run's summary and its outcome per layer × region, the same vocabulary and counts as `lamina run` and the run record. */
async function runOutcomes(request: ListingRequest, deps: ListingDeps, runId: string): Promise<ListingResponse> {
  checkParams(request, COMMON_PARAMS);
  if (!RUN_ID.test(runId)) throw badRequest('InvalidRunId', `run id ${JSON.stringify(runId)} is not one lamina makes (letters, digits, . _ : -)`);
  const run = await deps.store.getRun?.(runId);
  if (!run || !deps.store.listOutcomes) throw notFound('RunNotFound', `no run ${JSON.stringify(runId)} is recorded`);
  const items = outcomesPerRegion(await deps.store.listOutcomes(runId), run.regions ?? []);
  const { counts, targets, startedAt, finishedAt, regions } = run;
  return respond(request, {
    title: `Run ${runId}: ${describeCounts(counts)}`,
    filename: `lamina-run-${runId}`,
    columns: OUTCOME_COLUMNS,
    items,
    meta: { runId, startedAt, finishedAt, regions, counts, targets },
  });
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest('InvalidPath', 'the path is not valid percent-encoding');
  }
}

/** Whether DynamoDB refused a request because of what the client sent (a stale cursor, say). */
function isClientFault(error: unknown): boolean {
  return (error as Error)?.name === 'ValidationException';
}

/**
 * Answers one request to the listing API: GET (or HEAD) on the routes under /v1 and the page at /. Client
 * errors are JSON 4xx responses; nothing a client sends produces a 500.
 */
export async function handleListingRequest(request: ListingRequest, deps: ListingDeps): Promise<ListingResponse> {
  let response: ListingResponse;
  try {
    if (request.method === 'OPTIONS') return { status: 204, headers: { ...CORS_HEADERS, ...CORS_PREFLIGHT }, body: '' };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      throw new HttpError(405, 'MethodNotAllowed', `the listing is read only: ${request.method} is not allowed, use GET`, undefined, { allow: 'GET, HEAD, OPTIONS' });
    }
    const path = request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path;
    const cacheKey = deps.cache?.keyOf(path, request.query, request.headers.accept);
    const cached = cacheKey ? deps.cache!.get(cacheKey) : undefined;
    if (cached) response = cached;
    else {
      const route = ROUTES.find(([pattern]) => pattern.test(path));
      if (!route) throw notFound('NotFound', `no route ${JSON.stringify(request.path)}; routes: /v1/regions, /v1/regions/{region}/layers, /v1/layers/{name}, /v1/layers/{name}/versions?region=, /v1/layers/{name}/sbom, /v1/feed.atom, /v1/layers/{name}/feed.atom, /v1/schedule, /v1/runs/{runId}`);
      const params = route[0].exec(path)!.slice(1).map(decodeSegment);
      response = await route[1](request, deps, ...params);
      if (cacheKey && response.status === 200) deps.cache!.set(cacheKey, response);
    }
    response = conditional(request, response);
  } catch (error) {
    if (error instanceof HttpError) response = errorResponse(error);
    else if (isClientFault(error)) response = errorResponse(badRequest('InvalidRequest', 'the request could not be answered as given; start again without a cursor'));
    else {
      deps.logError?.('listing request failed', error);
      response = errorResponse(new HttpError(500, 'InternalError', 'the listing could not be read; try again later'));
    }
  }
  // A new object: the cache may hold the one the route made.
  const headers = { ...response.headers, ...CORS_HEADERS, 'x-content-type-options': 'nosniff' };
  return { ...response, headers, body: request.method === 'HEAD' ? '' : response.body };
}
