import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ArchivedEntry } from './archived-entry';
import { compressedEntry, IN_MEMORY_BYTES, ZIP_LEVEL } from './deterministic-zip';
import { METHOD_DEFLATED, ZipWriter } from './zip-format';

/**
 * A scratch zip that files coming from a non-zip archive (an npm tarball) are deflated into once, as they stream
 * in, in whatever order they arrive. Each file becomes an ArchivedEntry pointing at its bytes here, so the layer
 * zip copies them in its own sorted order exactly like a wheel's entries: nothing is written as a tree, and the
 * bytes are the ones the zip writer would give the same file read from disk (`compressedEntry`, or a streamed
 * deflate above IN_MEMORY_BYTES, as `writeDeterministicZip` does).
 *
 * Appends are serialized (the writer is sequential); compression of in-memory files runs before, on the pool.
 */
export class ArchiveSpool {
  private queue: Promise<unknown> = Promise.resolve();
  /** Files streamed into spool files of their own (`<file>.<n>`). */
  private streamed = 0;

  private constructor(
    readonly file: string,
    private readonly writer: ZipWriter,
  ) {}

  static async create(file: string): Promise<ArchiveSpool> {
    const absolute = path.resolve(file);
    await fs.mkdir(path.dirname(absolute), { recursive: true });
    return new ArchiveSpool(absolute, await ZipWriter.create(absolute, { noDigest: true }));
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** A file held in memory (at most IN_MEMORY_BYTES). `name` only labels the spool's own entry. */
  async addBuffer(name: string, executable: boolean, data: Buffer): Promise<ArchivedEntry> {
    if (data.length > IN_MEMORY_BYTES) throw new Error(`${name}: ${data.length} bytes is over the in-memory size; use addStream`);
    const packed = await compressedEntry(data);
    const header = { name, mode: 0o100644, method: packed.method, crc32: packed.crc32, compressedSize: packed.data.length, uncompressedSize: data.length };
    const localHeaderOffset = await this.exclusive(() => this.writer.addBuffer(header, packed.data));
    return { name, executable, source: this.file, localHeaderOffset, method: packed.method, crc32: packed.crc32, compressedSize: packed.data.length, uncompressedSize: data.length };
  }

  /**
   * A file of `size` bytes (over IN_MEMORY_BYTES), deflated as it streams from `source` into a spool file of its
   * own, so that the other files' appends do not wait for it.
   */
  async addStream(name: string, executable: boolean, source: AsyncIterable<Buffer>, size: number): Promise<ArchivedEntry> {
    const file = `${this.file}.${++this.streamed}`;
    const writer = await ZipWriter.create(file, { noDigest: true });
    try {
      const written = await writer.addDeflated(name, 0o100644, source, size, ZIP_LEVEL, name);
      await writer.finish();
      return { name, executable, source: file, localHeaderOffset: written.offset, method: METHOD_DEFLATED, crc32: written.crc32, compressedSize: written.compressedSize, uncompressedSize: size };
    } catch (error) {
      await writer.abort();
      throw error;
    }
  }

  /** Flushes the spool; its entries can be read from then on. */
  async finish(): Promise<void> {
    await this.exclusive(() => this.writer.finish());
  }

  async abort(): Promise<void> {
    await this.queue;
    await this.writer.abort();
  }
}

/** Whether a file of this size is held in memory (and may be stored) or streamed (and always deflated). */
export function heldInMemory(size: number): boolean {
  return size <= IN_MEMORY_BYTES;
}
