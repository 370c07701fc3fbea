import { digestOf } from '../archive/digest';

/** A zip that hashed to the sha256 asked for, or what the bucket held instead (its sha256; undefined: nothing). */
export type CheckedZip = { zip: Buffer } | { found: string | undefined };

/**
 * Zips this container has read from the artifact bucket and checked against the sha256 their build recorded,
 * kept for the run's next Publish of the same layer: a layer goes to every region, and a warm Publish container
 * serves several of them, so it reads and hashes the zip once per run instead of once per region. Keyed by the run
 * and the sha256: only bytes that hash to it are ever handed out, and each run reads the bucket again (a zip
 * changed in the bucket since is refused, and the next run rebuilds it). Bounded by bytes (the function has 1 GB),
 * least recently used out first. Publishes that ask for a zip while its read is under way wait for that read
 * (locally one process serves every region's Publish at once; so may a container running invocations side by side).
 */
export class VerifiedZips {
  private readonly zips = new Map<string, Buffer>();
  private readonly reading = new Map<string, Promise<CheckedZip>>();
  private bytes = 0;

  constructor(private readonly maxBytes = 128 * 1024 * 1024) {}

  /**
   * The zip with this sha256 for this run: the one kept, else what `read` returns, checked (and kept when it hashes
   * to `sha256`). Callers asking while a read of it is under way share that read and its answer.
   */
  checked(runId: string, sha256: string, read: () => Promise<Buffer | undefined>): Promise<CheckedZip> {
    const kept = this.get(runId, sha256);
    if (kept) return Promise.resolve({ zip: kept });
    const key = `${runId} ${sha256}`;
    let pending = this.reading.get(key);
    if (!pending) {
      pending = (async (): Promise<CheckedZip> => {
        const zip = await read();
        const found = zip && digestOf(zip).sha256;
        if (found !== sha256) return { found };
        this.put(runId, sha256, zip!);
        return { zip: zip! };
      })().finally(() => this.reading.delete(key));
      this.reading.set(key, pending);
    }
    return pending;
  }

  get(runId: string, sha256: string): Buffer | undefined {
    const key = `${runId} ${sha256}`;
    const zip = this.zips.get(key);
    if (zip) {
      // Most recently used last: the first key is the one to drop.
      this.zips.delete(key);
      this.zips.set(key, zip);
    }
    return zip;
  }

  /** Keeps a zip whose sha256 the caller has just checked. */
  put(runId: string, sha256: string, zip: Buffer): void {
    const key = `${runId} ${sha256}`;
    if (zip.length > this.maxBytes || this.zips.has(key)) return;
    this.zips.set(key, zip);
    this.bytes += zip.length;
    for (const [oldestKey, oldest] of this.zips) {
      if (this.bytes <= this.maxBytes) break;
      this.zips.delete(oldestKey);
      this.bytes -= oldest.length;
    }
  }

  get size(): number {
    return this.zips.size;
  }
}

/** The container's cache (module state lives as long as the Lambda container). */
export const verifiedZips = new VerifiedZips();
