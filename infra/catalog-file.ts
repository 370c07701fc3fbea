import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseCatalog, type Catalog } from '../functions/catalog/catalog';

/** The catalog the deployment uses, with the absolute path CDK copies into the Plan bundle. */
export interface CatalogFile {
  path: string;
  catalog: Catalog;
}

/**
 * Reads and validates a catalog at synth time (synchronously: a CDK stack is built synchronously), so an invalid
 * catalog fails `cdk synth` with the same message `lamina run` gives, before anything is deployed.
 */
export function readCatalogFile(file: string): CatalogFile {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new Error(
      `cannot read the catalog ${absolute} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); ` +
        'create it or pass another one with `cdk synth -c catalog=path/to/catalog.yaml`',
    );
  }
  return { path: absolute, catalog: parseCatalog(text, path.relative(process.cwd(), absolute) || absolute) };
}
