import { mkdtempSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KindContext, LayerTarget } from '../../../functions/layers/kind';
import type { PythonEntry } from '../../../functions/layers/python/kind';
import { writeFixtureIndex, type FixtureDist, type FixtureIndex } from './fixture-index';
import { startIndexServer, type IndexServer, type IndexServerOptions } from './index-server';
import { UNIVERSE } from './universe';

export interface Harness {
  dir: string;
  index: FixtureIndex;
  server: IndexServer;
  /** A fresh context (own work and cache folders) and the log lines it collects. */
  context(name: string): KindContext & { lines: string[] };
}

/**
 * Generates the fixture universe into a temp folder and serves it on 127.0.0.1 for the duration of a test file.
 * Call at the top level of a describe block; read the fields inside tests.
 */
export function useFixtureIndex(dists: FixtureDist[] = UNIVERSE, options: IndexServerOptions = {}): Harness {
  const harness = {} as Harness;
  beforeAll(async () => {
    harness.dir = mkdtempSync(path.join(os.tmpdir(), 'lamina-python-'));
    harness.index = await writeFixtureIndex(path.join(harness.dir, 'index'), dists);
    harness.server = await startIndexServer(harness.index, options);
    let n = 0;
    harness.context = (name: string) => {
      const root = path.join(harness.dir, 'runs', `${n++}-${name}`);
      const lines: string[] = [];
      return { workDir: path.join(root, 'work'), cacheDir: path.join(root, 'cache'), log: (line: string) => lines.push(line), lines };
    };
  }, 120_000);
  afterAll(async () => {
    await harness.server?.close();
    if (harness.dir) await fs.rm(harness.dir, { recursive: true, force: true });
  });
  return harness;
}

/** A python catalog entry with defaults for the fields a test does not care about. */
export function entry(fields: Partial<PythonEntry> & { requirements: string[] }): PythonEntry {
  return { name: 'fixture', kind: 'python', runtimes: ['python3.11'], architectures: ['x86_64'], ...fields } as PythonEntry;
}

/** The target of a one-runtime, one-architecture entry. */
export function onlyTarget(targets: LayerTarget[]): LayerTarget {
  if (targets.length !== 1) throw new Error(`expected one target, got ${targets.length}`);
  return targets[0];
}
