import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ArtifactStore } from '../aws/artifacts';
import type { Key, LayerStore } from '../store/layer-store';
import { renderCsv } from './formats';
import { LAYER_COLUMNS, toListingItem, type ListingItem } from './items';
import { renderPage } from './page';
import { renderLayersJson } from '../lookups/layers-json';
import { FEED_ENTRIES, feedPath, renderFeed } from '../notices/feed';
import type { NoticeStore } from '../store/notice-store';

/** The artifact store prefix of the export: public-ready, everything below it may be served as is. */
export const LISTING_PREFIX = 'listing/';

/** Far enough ahead that every deprecated, not yet deleted version is "expiring before" it. */
const END_OF_TIME = new Date('9999-12-31T23:59:59.999Z');

export interface ExportDeps {
  store: Pick<LayerStore, 'listLatestInRegion' | 'listExpired'>;
  /** Where the export goes in the artifact store (under LISTING_PREFIX); skipped when absent. */
  artifacts?: Pick<ArtifactStore, 'putText'>;
  /** A local folder to write the same files to (e.g. `.lamina/listing`); skipped when absent. */
  localDir?: string;
  now?: () => Date;
  /** The notices for the Atom feeds (`feed.atom`, `layers/<name>/feed.atom`); no feeds when absent. */
  notices?: Pick<NoticeStore, 'recent'>;
  /** Where the export is served from, for the feeds' absolute links (LAMINA_PUBLIC_URL); `lamina serve`'s address otherwise. */
  baseUrl?: string;
}

/** The files of an export, by path relative to the export's root. */
export interface ExportFile {
  path: string;
  body: string;
  contentType: string;
}

async function allPages<T>(read: (startKey?: Key) => Promise<{ items: T[]; lastKey?: Key }>): Promise<T[]> {
  const items: T[] = [];
  let startKey: Key | undefined;
  do {
    const page = await read(startKey);
    items.push(...page.items);
    startKey = page.lastKey;
  } while (startKey);
  return items;
}

/**
 * The static listing of the given regions: `index.html` (the page, reading the files beside it), `regions.json`,
 * and per region `regions/<region>.json` (`{region, generatedAt, items, deprecated}`) and `regions/<region>.csv`;
 * `layers.json` (layer → region → latest ARN), and with notices the Atom feeds `feed.atom` and `layers/<name>/feed.atom`.
 * Reads the latest pointers region by region and every deprecated version once, from the expiry index.
 */
export async function buildStaticExport(regions: string[], deps: Pick<ExportDeps, 'store' | 'now' | 'notices' | 'baseUrl'>): Promise<ExportFile[]> {
  const generatedAt = (deps.now?.() ?? new Date()).toISOString();
  const deprecated = (await allPages((startKey) => deps.store.listExpired(END_OF_TIME, { startKey })))
    .filter((version) => version.status === 'deprecated')
    .map(toListingItem);
  const byName = (a: ListingItem, b: ListingItem) => a.name.localeCompare(b.name) || b.version - a.version;
  const files: ExportFile[] = [
    { path: 'index.html', body: renderPage({ source: 'static' }), contentType: 'text/html; charset=utf-8' },
    {
      path: 'regions.json',
      body: JSON.stringify({ generatedAt, count: regions.length, items: regions.map((region) => ({ region })) }),
      contentType: 'application/json; charset=utf-8',
    },
  ];
  const latest: ListingItem[] = [];
  for (const region of regions) {
    const items = (await allPages((startKey) => deps.store.listLatestInRegion(region, { startKey }))).map(toListingItem).sort(byName);
    latest.push(...items);
    const older = deprecated.filter((version) => version.region === region).sort(byName);
    files.push(
      {
        path: `regions/${region}.json`,
        body: JSON.stringify({ region, generatedAt, count: items.length, items, deprecated: older }),
        contentType: 'application/json; charset=utf-8',
      },
      { path: `regions/${region}.csv`, body: renderCsv(LAYER_COLUMNS, [...items, ...older]), contentType: 'text/csv; charset=utf-8; header=present' },
    );
  }
  files.push({ path: 'layers.json', body: renderLayersJson(latest, generatedAt), contentType: 'application/json; charset=utf-8' });
  if (deps.notices) {
    const baseUrl = deps.baseUrl ?? 'http://127.0.0.1:8080/';
    const feeds = [undefined, ...new Set(latest.map((item) => item.name))];
    for (const layerName of feeds) {
      const selfPath = feedPath(layerName, false);
      const body = renderFeed(await deps.notices.recent(FEED_ENTRIES, layerName), { baseUrl, layerName, selfPath, now: new Date(generatedAt) });
      files.push({ path: selfPath, body, contentType: 'application/atom+xml; charset=utf-8' });
    }
  }
  return files;
}

/**
 * Writes the static listing to the artifact store under `listing/` and to a local folder: Report calls it after
 * every run, so the listing can be hosted without the API.
 */
export async function exportListing(regions: string[], deps: ExportDeps): Promise<ExportFile[]> {
  const files = await buildStaticExport(regions, deps);
  for (const file of files) {
    await deps.artifacts?.putText(`${LISTING_PREFIX}${file.path}`, file.body, file.contentType, 'public, max-age=300');
    if (deps.localDir) {
      const target = path.join(deps.localDir, ...file.path.split('/'));
      await fs.mkdir(path.dirname(target), { recursive: true });
      // Written beside and renamed, so a reader never sees half a file.
      await fs.writeFile(`${target}.tmp`, file.body);
      await fs.rename(`${target}.tmp`, target);
    }
  }
  return files;
}
