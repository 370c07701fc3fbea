import type { Catalog } from '../functions/catalog/catalog';
import { LAMBDA_REGIONS } from '../functions/regions/lambda-regions';

/**
 * The regions the deployment creates a staging bucket in. `cdk synth` has no credentials, so it cannot ask which
 * opt-in regions the account has enabled: the catalog's own list, or for `regions: all` the built-in list less the
 * regions named by the `excludeRegions` context.
 */
export function stagingRegions(catalog: Pick<Catalog, 'settings'>, excludeRegions: readonly string[] = []): string[] {
  const unknown = excludeRegions.filter((region) => !(LAMBDA_REGIONS as readonly string[]).includes(region));
  if (unknown.length > 0) {
    throw new Error(
      `context excludeRegions names ${unknown.join(', ')}, which ${unknown.length === 1 ? 'is not a region' : 'are not regions'} where Lambda runs; use some of: ${LAMBDA_REGIONS.join(', ')}`,
    );
  }
  const wanted = catalog.settings.regions === 'all' ? [...LAMBDA_REGIONS] : [...catalog.settings.regions];
  const regions = wanted.filter((region) => !excludeRegions.includes(region));
  if (regions.length === 0) throw new Error('context excludeRegions leaves no region to publish to; exclude fewer regions');
  return [...new Set(regions)].sort();
}

/** `excludeRegions` as given on the command line: `a,b` or a JSON list. */
export function parseRegionList(text: string | undefined, name: string): string[] {
  if (!text) return [];
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new Error(`context ${name} is not a JSON list: ${text}; give regions separated by commas, e.g. ap-east-1,me-south-1`);
    }
    if (!Array.isArray(parsed) || parsed.some((region) => typeof region !== 'string')) {
      throw new Error(`context ${name} must be a list of region names, got ${text}`);
    }
    return parsed as string[];
  }
  return trimmed.split(',').map((region) => region.trim()).filter(Boolean);
}
