import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Journal } from '../state-folder/journal';
import { ContentStore } from './content-store';
import { createKeyedQueue } from './limiter';
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

interface Region {
  state: RegionFile;
  /** Keyed by layer name: a change is the layer's whole record (its versions and next number). */
  journal: Journal<LayerRecord>;
}

const SNAPSHOT = /^(?<region>[a-z0-9-]+)\.json$/;
const JOURNAL = /^(?<region>[a-z0-9-]+)\.journal\.jsonl$/;

/**
 * The emulator's state: per region, per layer, its versions. Metadata lives in memory and, per region under
 * `<dataDir>/regions`, in a snapshot `<region>.json` plus a journal of changed layers (`../state-folder/journal.ts`),
 * so a mutation writes one layer's record, not the region; zips live in a content-addressed folder.
 * Mutations of one layer run in order (versions are numbered in the order publishes arrive, without gaps or
 * duplicates); other layers and regions do not wait for them. A zip's storing and removal run in order per digest,
 * so a publish and a delete of the same zip in different regions cannot lose it.
 */
export class LayerStore {
  private readonly regions = new Map<string, Region>();
  private readonly opening = new Map<string, Promise<Region>>();
  /** How many versions, in every region, use each zip. */
  private readonly uses = new Map<string, number>();
  private readonly perLayer = createKeyedQueue();
  private readonly perDigest = createKeyedQueue();
  readonly content: ContentStore;

  private constructor(private readonly dataDir: string) {
    this.content = new ContentStore(path.join(dataDir, 'content'));
  }

  /** Opens (creating if needed) the store under `dataDir`, loading every region saved there before. */
  static async open(dataDir: string): Promise<LayerStore> {
    const store = new LayerStore(dataDir);
    await fs.mkdir(store.regionsDir, { recursive: true });
    await store.content.init();
    const names = new Set<string>();
    for (const file of await fs.readdir(store.regionsDir)) {
      const region = (SNAPSHOT.exec(file) ?? JOURNAL.exec(file))?.groups?.region;
      if (region) names.add(region);
    }
    for (const region of [...names].sort()) await store.regionOf(region);
    for (const { state } of store.regions.values()) {
      for (const layer of Object.values(state.layers)) for (const record of Object.values(layer.versions)) store.countUse(record.sha256Hex, 1);
    }
    return store;
  }

  private get regionsDir(): string {
    return path.join(this.dataDir, 'regions');
  }

  /** The region's state, its journal opened (and replayed) the first time. */
  private regionOf(region: string): Promise<Region> {
    const known = this.regions.get(region);
    if (known) return Promise.resolve(known);
    let opening = this.opening.get(region);
    if (!opening) {
      opening = this.openRegion(region).finally(() => this.opening.delete(region));
      this.opening.set(region, opening);
    }
    return opening;
  }

  private async openRegion(region: string): Promise<Region> {
    const file = path.join(this.regionsDir, `${region}.json`);
    const state: RegionFile = { formatVersion: 1, region, layers: {} };
    const journal = await Journal.open<LayerRecord>(
      file,
      {
        load: (parsed) => {
          const snapshot = parsed as Partial<RegionFile> | null;
          if (snapshot?.formatVersion !== 1 || typeof snapshot.region !== 'string' || typeof snapshot.layers !== 'object' || snapshot.layers === null) {
            throw new Error(`Lambda emulator state file ${file} has an unknown format; delete it to start over.`);
          }
          state.layers = snapshot.layers;
        },
        apply: (name, layer) => {
          if (layer) state.layers[name] = layer;
          else delete state.layers[name];
        },
        snapshot: () => state,
      },
      { label: 'Lambda emulator state file' },
    );
    const opened = { state, journal };
    this.regions.set(region, opened);
    return opened;
  }

  private countUse(sha256Hex: string, delta: number): void {
    const count = (this.uses.get(sha256Hex) ?? 0) + delta;
    if (count > 0) this.uses.set(sha256Hex, count);
    else this.uses.delete(sha256Hex);
  }

  /** Regions that have (or had) layers. */
  regionNames(): string[] {
    return [...this.regions.keys()].sort();
  }

  /** A live version, or undefined. */
  getVersion(region: string, name: string, version: number): VersionRecord | undefined {
    return this.regions.get(region)?.state.layers[name]?.versions[String(version)];
  }

  /** A layer's live versions, newest first. */
  versionsOf(region: string, name: string): VersionRecord[] {
    const layer = this.regions.get(region)?.state.layers[name];
    return layer ? Object.values(layer.versions).sort((a, b) => b.version - a.version) : [];
  }

  /** Names of the layers in a region, sorted. */
  layerNames(region: string): string[] {
    return Object.keys(this.regions.get(region)?.state.layers ?? {}).sort();
  }

  /** Stores the zip (once per digest) and records the layer's next version; resolves once that is on disk. */
  async publish(region: string, name: string, input: NewVersion, zip: InspectedZip): Promise<VersionRecord> {
    const { state, journal } = await this.regionOf(region);
    const { record, written } = await this.perLayer(`${region}/${name}`, () =>
      this.perDigest(zip.sha256Hex, async () => {
        await this.content.put(zip.sha256Hex, zip.data);
        // From here to `journal.record`, nothing awaits: the number is handed out and the change recorded at once.
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
        this.countUse(zip.sha256Hex, 1);
        return { record, written: journal.record(name, layer) };
      }),
    );
    await written;
    return record;
  }

  /** Deletes a version (true when it existed); its zip goes too once no version in any region uses it. */
  async deleteVersion(region: string, name: string, version: number): Promise<boolean> {
    const known = this.regions.get(region);
    if (!known) return false;
    const deleted = await this.perLayer(`${region}/${name}`, async () => {
      const layer = known.state.layers[name];
      const record = layer?.versions[String(version)];
      if (!layer || !record) return undefined;
      delete layer.versions[String(version)];
      this.countUse(record.sha256Hex, -1);
      return { record, written: known.journal.record(name, layer) };
    });
    if (!deleted) return false;
    await deleted.written;
    await this.perDigest(deleted.record.sha256Hex, async () => {
      if (!this.uses.has(deleted.record.sha256Hex)) await this.content.remove(deleted.record.sha256Hex);
    });
    return true;
  }

  /**
   * Replaces a version's policy with what `change` returns (undefined removes it), atomically with respect to other
   * mutations of the layer, so revision checks inside `change` cannot race. `change` may throw to refuse; nothing
   * is saved then.
   */
  async updatePolicy<T>(
    region: string,
    name: string,
    version: number,
    change: (record: VersionRecord | undefined) => { policy: LayerPolicyRecord | undefined; result: T },
  ): Promise<T> {
    const { result, written } = await this.perLayer(`${region}/${name}`, async () => {
      const known = this.regions.get(region);
      const layer = known?.state.layers[name];
      const record = layer?.versions[String(version)];
      const { policy, result } = change(record);
      if (!known || !layer || !record) return { result, written: undefined };
      if (policy) record.policy = policy;
      else delete record.policy;
      return { result, written: known.journal.record(name, layer) };
    });
    await written;
    return result;
  }

  /** Waits for every change recorded so far to be on disk. */
  async idle(): Promise<void> {
    await Promise.all([...this.opening.values()].map((opening) => opening.catch(() => undefined)));
    await Promise.all([...this.regions.values()].map(({ journal }) => journal.flush()));
  }

  /** Writes what is pending and closes the regions' journals. */
  async close(): Promise<void> {
    await this.idle();
    await Promise.all([...this.regions.values()].map(({ journal }) => journal.close()));
  }
}
