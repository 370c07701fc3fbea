import * as path from 'node:path';
import type { Catalog } from '../functions/catalog/catalog';

/**
 * The repository paths a catalog's entries read at Plan (an npm entry's lockfile, a files entry's folders), relative
 * to the catalog file: the deployed Plan finds them beside its bundled catalog.yaml, as `lamina run` does beside the
 * catalog file.
 */
export function repositoryPaths(catalog: Catalog): string[] {
  const paths = new Set<string>();
  for (const entry of catalog.layers) {
    if (entry.kind === 'npm' && typeof entry.lockfile === 'string') paths.add(path.posix.normalize(entry.lockfile));
    if (entry.kind === 'files' && Array.isArray(entry.sources)) {
      for (const source of entry.sources as Array<{ folder?: unknown }>) if (typeof source.folder === 'string') paths.add(path.posix.normalize(source.folder).replace(/\/+$/, ''));
    }
  }
  for (const rel of paths) {
    if (path.isAbsolute(rel) || rel.split('/').includes('..')) {
      throw new Error(`${catalog.file}: ${rel} is outside the catalog's folder; the deployed Plan can only carry paths below it`);
    }
  }
  return [...paths].sort();
}
