import * as path from 'node:path';
import { renderCsv } from '../../functions/listing/formats';
import { LAYER_COLUMNS, type ListingItem } from '../../functions/listing/items';
import { handleListingRequest } from '../../functions/listing/routes';
import { requireLocalStore, startLocalServices } from '../services';
import { EXIT, UsageError, type Command } from './command';
import { DEFAULT_STATE_DIR, formatTable, parseOptions } from './options';
import { localListingDeps } from './serve';

const OUTPUT_FORMATS = ['table', 'json', 'csv'];

/** Reads one JSON document of the listing API: `path` below the API root, with query parameters. */
export type ListingFetch = (path: string, query: Record<string, string | undefined>) => Promise<any>;

function queryString(query: Record<string, string | undefined>): URLSearchParams {
  return new URLSearchParams(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** An error answer of the API, as a message for a person (with the valid values it lists). */
function apiError(status: number, body: string): Error {
  let message = `the listing API answered HTTP ${status}`;
  try {
    const { error } = JSON.parse(body) as { error: { message: string; validValues?: string[] } };
    message = error.message + (error.validValues ? `; valid values: ${error.validValues.join(', ')}` : '');
  } catch {
    // Not lamina's JSON error: keep the status line.
  }
  return status >= 400 && status < 500 ? new UsageError(message) : new Error(message);
}

/** Reads a deployed (or served) listing API over HTTP. */
export function httpListing(baseUrl: string): ListingFetch {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return async (apiPath, query) => {
    const url = new URL(apiPath.replace(/^\//, ''), base);
    url.search = queryString(query).toString();
    let response: Response;
    try {
      response = await fetch(url, { headers: { accept: 'application/json' } });
    } catch (error) {
      throw new UsageError(`cannot reach the listing API at ${base}: ${(error as Error).message}; check --api`);
    }
    const body = await response.text();
    if (!response.ok) throw apiError(response.status, body);
    return JSON.parse(body);
  };
}

/** Answers listing requests in this process, with the same routes the API runs. */
export function inProcessListing(deps = localListingDeps()): ListingFetch {
  return async (apiPath, query) => {
    const response = await handleListingRequest({ method: 'GET', path: apiPath, query: queryString({ ...query, format: 'json' }), headers: {} }, deps);
    if (response.status !== 200) throw apiError(response.status, response.body);
    return JSON.parse(response.body);
  };
}

export interface ListFilters {
  region?: string;
  runtime?: string;
  arch?: string;
  kind?: string;
  q?: string;
}

/** The latest version of every matching layer, in one region or in every region lamina publishes to. */
export async function collectListing(fetchListing: ListingFetch, filters: ListFilters): Promise<ListingItem[]> {
  const regions: string[] = filters.region
    ? [filters.region]
    : ((await fetchListing('/v1/regions', {})).items as { region: string }[]).map((item) => item.region);
  const items: ListingItem[] = [];
  for (const region of regions) {
    let cursor: string | undefined;
    do {
      const page = await fetchListing(`/v1/regions/${encodeURIComponent(region)}/layers`, {
        runtime: filters.runtime,
        arch: filters.arch,
        kind: filters.kind,
        q: filters.q,
        limit: '1000',
        cursor,
      });
      items.push(...(page.items as ListingItem[]));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  return items.sort((a, b) => a.name.localeCompare(b.name) || a.region.localeCompare(b.region));
}

/** Renders listing items for the terminal, as JSON or as CSV. */
export function renderItems(items: ListingItem[], format: string): string {
  if (format === 'json') return JSON.stringify(items, null, 2);
  if (format === 'csv') return renderCsv(LAYER_COLUMNS, items).trimEnd();
  if (items.length === 0) return 'No layers match.';
  return formatTable(
    ['LAYER', 'REGION', 'VERSION', 'RUNTIMES', 'ARCH', 'ARN'],
    items.map((item) => [item.name, item.region, String(item.version), item.runtimes.join(','), item.architectures.join(','), item.arn]),
  );
}

export const listCommand: Command = {
  async run(args) {
    const { values } = parseOptions(args, {
      region: { type: 'string' },
      runtime: { type: 'string' },
      arch: { type: 'string' },
      kind: { type: 'string' },
      q: { type: 'string' },
      format: { type: 'string', default: 'table' },
      api: { type: 'string' },
      state: { type: 'string', default: DEFAULT_STATE_DIR },
    });
    if (!OUTPUT_FORMATS.includes(values.format!)) throw new UsageError(`--format ${values.format} is not one of ${OUTPUT_FORMATS.join(', ')}`);
    const filters: ListFilters = { region: values.region, runtime: values.runtime, arch: values.arch, kind: values.kind, q: values.q };

    if (values.api) {
      try {
        new URL(values.api);
      } catch {
        throw new UsageError(`--api ${values.api} is not a URL; give the listing API's base URL, e.g. https://abc123.execute-api.us-east-1.amazonaws.com`);
      }
      console.log(renderItems(await collectListing(httpListing(values.api), filters), values.format!));
      return EXIT.ok;
    }

    const stateDir = path.resolve(values.state!);
    requireLocalStore(stateDir);
    process.env.LAMINA_LOG_FORMAT ??= 'text';
    const services = await startLocalServices({ stateDir, needs: ['dynamodb'], command: 'list' });
    try {
      console.log(renderItems(await collectListing(inProcessListing(), filters), values.format!));
    } finally {
      await services.close();
    }
    return EXIT.ok;
  },
};
