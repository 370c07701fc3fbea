import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runLocalPipeline, type LocalRunResult } from '../../local/runner';
import { startLocalServices, type LocalServices } from '../../local/services';
import type { RunRequest } from '../../functions/shared/pipeline-events';

/** A throwaway embedded default: its own state folder, services on 127.0.0.1, and a catalog file to edit. */
export interface LocalPipeline {
  stateDir: string;
  catalogFile: string;
  services: LocalServices;
  writeCatalog(text: string): Promise<void>;
  run(request?: RunRequest): Promise<LocalRunResult>;
  close(): Promise<void>;
}

export async function startLocalPipeline(catalog: string): Promise<LocalPipeline> {
  process.env.LAMINA_LOG_FORMAT = 'silent';
  const stateDir = await mkdtemp(path.join(tmpdir(), 'lamina-state-'));
  const catalogFile = path.join(stateDir, 'catalog.yaml');
  await writeFile(catalogFile, catalog);
  const services = await startLocalServices({ stateDir, inMemory: true });
  return {
    stateDir,
    catalogFile,
    services,
    writeCatalog: (text) => writeFile(catalogFile, text),
    run: (request = {}) => runLocalPipeline(request, { stateDir, catalogFile, retryIntervalMs: 5 }),
    close: async () => {
      await services.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
