import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { ContentStore } from './content-store';
import type { InspectedZip } from './layer-content';
import type { LayerPolicyRecord } from './policy';

/** One published layer version, as persisted (JSON). */
export interface VersionRecord {
  version: number;
  description: string;
  /** Lambda's date format: 2026-01-01T10:00:00.000+0000 */
  createdDate: string;
  compatibleRuntimes?: string[];
  compatibleArchitectures?: string[];
  licenseInfo?: string;
  sha256Hex: string;
  codeSha256: string;
  codeSize: number;
  unzippedSize: number;
  policy?: LayerPolicyRecord;
}

/** A layer in one region: its live versions and the next number to hand out (never lowered, so never reused). */
export interface LayerRecord {
  nextVersion: number;
  versions: Record<string, VersionRecord>;
}

interface RegionFile {
  formatVersion: 1;
  region: string;
  layers: Record<string, LayerRecord>;
}

/** What a new version is published with, besides its zip. */
export interface NewVersion {
  description?: string;
  compatibleRuntimes?: string[];
  compatibleArchitectures?: string[];
  licenseInfo?: string;
}

const lambdaDate = (date: Date) => date.toISOString().replace('Z', '+0000');

/**
 * The emulator's state: per region, per layer, its versions. Metadata lives in memory and in one JSON file per
 * region under `<dataDir>/regions`; zips live in a content-addressed folder. Every mutation runs under one lock, so
 * concurrent requests number versions without gaps or duplicates and files are never written concurrently.
 */
export class LayerStore {
  private readonly regions = new Map<string, RegionFile>();
  private queue: Promise<unknown> = Promise.resolve();
  readonly content: ContentStore;

  private constructor(private readonly dataDir: string) {
    this.content = new ContentStore(path.join(dataDir, 'content'));
  }

  /** Opens (creating if needed) the store under `dataDir`, loading every region saved there before. */
  static async open(dataDir: string): Promise<LayerStore> {
    const store = new LayerStore(dataDir);
    await fs.mkdir(store.regionsDir, { recursive: true });
    await store.content.init();
    for (const file of await fs.readdir(store.regionsDir)) {
      if (!file.endsWith('.json')) continue;
      const fullPath = path.join(store.regionsDir, file);
      let parsed: RegionFile;
      try {
        parsed = JSON.parse(await fs.readFile(fullPath, 'utf8')) as RegionFile;
      } catch (error) {
        throw new Error(`Lambda emulator state file ${fullPath} is not valid JSON (${(error as Error).message}); fix or delete it.`);
      }
      if (parsed.formatVersion !== 1 || typeof parsed.region !== 'string' || typeof parsed.layers !== 'object') {
        throw new Error(`Lambda emulator state file ${fullPath} has an unknown format; delete it to start over.`);
      }
      store.regions.set(parsed.region, parsed);
    }
    return store;
  }

  private get regionsDir(): string {
    return path.join(this.dataDir, 'regions');
  }

  /** Runs `task` after every mutation queued before it has finished. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private regionState(region: string): RegionFile {
    let state = this.regions.get(region);
    if (!state) {
      state = { formatVersion: 1, region, layers: {} };
      this.regions.set(region, state);
    }
    return state;
  }

  private async save(region: string): Promise<void> {
    const target = path.join(this.regionsDir, `${region}.json`);
    const temporary = `${target}.${randomUUID()}.tmp`;
    await fs.writeFile(temporary, JSON.stringify(this.regions.get(region), null, 1));
    await fs.rename(temporary, target);
  }

  /** Regions that have (or had) layers. */
  regionNames(): string[] {
    return [...this.regions.keys()].sort();
  }

  /** A live version, or undefined. */
  getVersion(region: string, name: string, version: number): VersionRecord | undefined {
    return this.regions.get(region)?.layers[name]?.versions[String(version)];
  }

  /** A layer's live versions, newest first. */
  versionsOf(region: string, name: string): VersionRecord[] {
    const layer = this.regions.get(region)?.layers[name];
    return layer ? Object.values(layer.versions).sort((a, b) => b.version - a.version) : [];
  }

  /** Names of the layers in a region, sorted. */
  layerNames(region: string): string[] {
    return Object.keys(this.regions.get(region)?.layers ?? {}).sort();
  }

  /** Stores the zip (once per digest) and records the layer's next version. */
  publish(region: string, name: string, input: NewVersion, zip: InspectedZip): Promise<VersionRecord> {
    return this.exclusive(async () => {
      await this.content.put(zip.sha256Hex, zip.data);
      const state = this.regionState(region);
      const layer = (state.layers[name] ??= { nextVersion: 1, versions: {} });
      const record: VersionRecord = {
        version: layer.nextVersion,
        description: input.description ?? '',
        createdDate: lambdaDate(new Date()),
        ...(input.compatibleRuntimes?.length ? { compatibleRuntimes: input.compatibleRuntimes } : {}),
        ...(input.compatibleArchitectures?.length ? { compatibleArchitectures: input.compatibleArchitectures } : {}),
        ...(input.licenseInfo !== undefined ? { licenseInfo: input.licenseInfo } : {}),
        sha256Hex: zip.sha256Hex,
        codeSha256: zip.codeSha256,
        codeSize: zip.codeSize,
        unzippedSize: zip.unzippedSize,
      };
      layer.nextVersion += 1;
      layer.versions[String(record.version)] = record;
      await this.save(region);
      return record;
    });
  }

  /** Deletes a version (true when it existed); its zip goes too once no version in any region uses it. */
  deleteVersion(region: string, name: string, version: number): Promise<boolean> {
    return this.exclusive(async () => {
      const layer = this.regions.get(region)?.layers[name];
      const record = layer?.versions[String(version)];
      if (!layer || !record) return false;
      delete layer.versions[String(version)];
      await this.save(region);
      if (!this.isContentUsed(record.sha256Hex)) await this.content.remove(record.sha256Hex);
      return true;
    });
  }

  private isContentUsed(sha256Hex: string): boolean {
    for (const state of this.regions.values()) {
      for (const layer of Object.values(state.layers)) {
        if (Object.values(layer.versions).some((v) => v.sha256Hex === sha256Hex)) return true;
      }
    }
    return false;
  }

  /**
   * Replaces a version's policy with what `change` returns (undefined removes it), atomically with respect to other
   * mutations, so revision checks inside `change` cannot race. `change` may throw to refuse; nothing is saved then.
   */
  updatePolicy<T>(
    region: string,
    name: string,
    version: number,
    change: (record: VersionRecord | undefined) => { policy: LayerPolicyRecord | undefined; result: T },
  ): Promise<T> {
    return this.exclusive(async () => {
      const record = this.getVersion(region, name, version);
      const { policy, result } = change(record);
      if (record) {
        if (policy) record.policy = policy;
        else delete record.policy;
        await this.save(region);
      }
      return result;
    });
  }

  /** Waits for queued mutations to finish. */
  async idle(): Promise<void> {
    await this.exclusive(async () => undefined);
  }
}
