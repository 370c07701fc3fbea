import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runLocalPipeline, type LocalRunOptions, type LocalRunResult } from '../../local/runner';
import { startLocalServices, type LocalServices } from '../../local/services';
import type { RunRequest } from '../../functions/shared/pipeline-events';

/** A throwaway embedded default: its own state folder, services on 127.0.0.1, and a catalog file to edit. */
export interface LocalPipeline {
  stateDir: string;
  catalogFile: string;
  services: LocalServices;
  writeCatalog(text: string): Promise<void>;
  run(request?: RunRequest, options?: Partial<LocalRunOptions>): Promise<LocalRunResult>;
  /** The size in bytes of the largest output any task state produced so far. */
  largestTaskOutput(): number;
  close(): Promise<void>;
}

export interface LocalPipelineOptions {
  /** Told about every task that ends, after the built-in accounting (synchronously, before the next state). */
  onTask?: LocalRunOptions['onTask'];
}

export async function startLocalPipeline(catalog: string, options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
  process.env.LAMINA_LOG_FORMAT = 'silent';
  // The per-region control-plane pacing (functions/regions/control-plane.ts, tested on its own) would make these
  // runs wait on AWS's 15 requests per second; the emulator has no such quota.
  process.env.LAMINA_CONTROL_PLANE_RATE ??= '1000';
  const stateDir = await mkdtemp(path.join(tmpdir(), 'lamina-state-'));
  const catalogFile = path.join(stateDir, 'catalog.yaml');
  await writeFile(catalogFile, catalog);
  const services = await startLocalServices({ stateDir, inMemory: true });
  let largest = 0;
  const onTask: LocalRunOptions['onTask'] = (_state, _input, outcome) => {
    if (outcome.ok) largest = Math.max(largest, Buffer.byteLength(JSON.stringify(outcome.output ?? null)));
    options.onTask?.(_state, _input, outcome);
  };
  return {
    stateDir,
    catalogFile,
    services,
    writeCatalog: (text) => writeFile(catalogFile, text),
    run: (request = {}, options = {}) => runLocalPipeline(request, { stateDir, catalogFile, retryIntervalMs: 5, onTask, ...options }),
    largestTaskOutput: () => largest,
    close: async () => {
      await services.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
