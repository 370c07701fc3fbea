import type { ListingItem } from '../listing/items';

/** One layer's latest version in one region, as `layers.json` gives it. */
export interface LayersJsonEntry {
  arn: string;
  version: number;
  runtimes: string[];
  architectures: string[];
}

/**
 * `layers.json`: every layer → region → its latest ARN (and version, runtimes, architectures), in one fetch for
 * tools (as Bref and Datadog publish theirs). Keys are sorted, so the same listing gives the same bytes.
 */
export function renderLayersJson(latest: ListingItem[], generatedAt: string): string {
  const layers: Record<string, Record<string, LayersJsonEntry>> = {};
  const sorted = [...latest].sort((a, b) => a.name.localeCompare(b.name) || a.region.localeCompare(b.region));
  for (const item of sorted) {
    (layers[item.name] ??= {})[item.region] = { arn: item.arn, version: item.version, runtimes: item.runtimes, architectures: item.architectures };
  }
  return JSON.stringify({ generatedAt, count: Object.keys(layers).length, layers });
}
