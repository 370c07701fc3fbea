import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';

/**
 * Layer zips on disk, stored once per sha256 (the same zip is typically published to every region), so only
 * metadata is held in memory.
 */
export class ContentStore {
  /** Digests this store has written or found on disk: a publish of a zip stored already asks the disk nothing. */
  private readonly stored = new Set<string>();

  constructor(private readonly dir: string) {}

  /** Creates the folder the zips live in. */
  async init(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
  }

  /** Where the zip with this sha256 (hex) is stored. */
  pathOf(sha256Hex: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256Hex)) throw new Error(`Not a sha256 hex digest: '${sha256Hex}'.`);
    return path.join(this.dir, `${sha256Hex}.zip`);
  }

  /** Stores `data` under its digest unless it is already there; written to a temporary file first, then renamed. */
  async put(sha256Hex: string, data: Buffer): Promise<void> {
    const target = this.pathOf(sha256Hex);
    if (await this.has(sha256Hex)) return;
    const temporary = `${target}.${randomUUID()}.tmp`;
    await fs.writeFile(temporary, data);
    await fs.rename(temporary, target);
    this.stored.add(sha256Hex);
  }

  /** Whether a zip with this digest is stored. */
  async has(sha256Hex: string): Promise<boolean> {
    if (this.stored.has(sha256Hex)) return true;
    const found = await fs.access(this.pathOf(sha256Hex)).then(
      () => true,
      () => false,
    );
    if (found) this.stored.add(sha256Hex);
    return found;
  }

  /** Deletes the zip with this digest (no error when it is already gone). */
  async remove(sha256Hex: string): Promise<void> {
    this.stored.delete(sha256Hex);
    await fs.rm(this.pathOf(sha256Hex), { force: true });
  }

  /** Streams the stored zip. */
  open(sha256Hex: string): NodeJS.ReadableStream {
    return createReadStream(this.pathOf(sha256Hex));
  }
}
