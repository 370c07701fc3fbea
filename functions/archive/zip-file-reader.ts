import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import * as yauzl from 'yauzl';

/** Bytes read at once from the archive (its central directory is read in a few of these, not per entry). */
const CHUNK = 256 * 1024;
/** Chunks kept: a central directory of 100,000 entries fits; memory stays bounded whatever the archive. */
const MAX_CHUNKS = 64;

/**
 * yauzl's view of a zip file: reads in large chunks with plain synchronous system calls, kept in a small cache.
 * yauzl reads each central directory record with two small reads of its own; through its default reader that is
 * two round trips to the thread pool per entry (thousands per wheel), here it is a memory copy.
 */
export class ChunkedZipReader extends yauzl.RandomAccessReader {
  readonly size: number;
  private readonly fd: number;
  private readonly chunks = new Map<number, Buffer>();

  constructor(readonly file: string) {
    super();
    this.fd = openSync(file, 'r');
    try {
      this.size = fstatSync(this.fd).size;
    } catch (error) {
      closeSync(this.fd);
      throw error;
    }
  }

  private chunk(index: number): Buffer {
    let chunk = this.chunks.get(index);
    if (chunk) {
      // Most recently used last, so that the first key is the one to evict.
      this.chunks.delete(index);
      this.chunks.set(index, chunk);
      return chunk;
    }
    const start = index * CHUNK;
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, this.size - start));
    let filled = 0;
    while (filled < buffer.length) {
      const n = readSync(this.fd, buffer, filled, buffer.length - filled, start + filled);
      if (n === 0) break;
      filled += n;
    }
    chunk = buffer.subarray(0, filled);
    if (this.chunks.size >= MAX_CHUNKS) this.chunks.delete(this.chunks.keys().next().value as number);
    this.chunks.set(index, chunk);
    return chunk;
  }

  /** Copies `length` bytes at `position` into `buffer`; returns how many there were. */
  readInto(buffer: Buffer, offset: number, length: number, position: number): number {
    let copied = 0;
    while (copied < length && position + copied < this.size) {
      const at = position + copied;
      const chunk = this.chunk(Math.floor(at / CHUNK));
      const from = at % CHUNK;
      const n = chunk.copy(buffer, offset + copied, from, Math.min(chunk.length, from + length - copied));
      if (n === 0) break;
      copied += n;
    }
    return copied;
  }

  /** Reads a range directly (for entry data, which is read once: no point caching it). */
  readDirect(position: number, length: number): Buffer {
    const buffer = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const n = readSync(this.fd, buffer, filled, length - filled, position + filled);
      if (n === 0) break;
      filled += n;
    }
    return filled === length ? buffer : buffer.subarray(0, filled);
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null, bytesRead?: number) => void): void {
    let n: number;
    try {
      n = this.readInto(buffer, offset, length, position);
    } catch (error) {
      process.nextTick(callback, error as Error);
      return;
    }
    // Asynchronous as yauzl expects, but without the thread pool; nextTick also keeps the stack flat.
    process.nextTick(callback, null, n);
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return createReadStream(this.file, { start, end: end - 1, highWaterMark: 1 << 20 });
  }

  override close(callback: (err: Error | null) => void): void {
    this.chunks.clear();
    try {
      closeSync(this.fd);
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback(null);
  }
}
