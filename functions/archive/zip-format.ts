import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { BuildError } from '../layers/kind';

/**
 * A small writer of the ZIP format (PKWARE APPNOTE 6.3.x) for deterministic archives: local headers with the
 * sizes and crc in place (no data descriptors), a central directory with Unix modes, a fixed DOS date, and ZIP64
 * records only where the format needs them (more than 65,535 entries, or a size or offset over 0xFFFFFFFF).
 * It exists because archiver cannot copy an entry's compressed bytes from another archive as they are.
 */

/** 1980-01-01 00:00:00 in MS-DOS format: the earliest date a zip can hold. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const DOS_TIME = 0;
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
/** Version made by: 3 = Unix (so readers apply the modes), 4.5 = the ZIP64 revision of the format. */
const MADE_BY = (3 << 8) | 45;
const UTF8_FLAG = 0x0800;
const FLUSH_BYTES = 1 << 20;
const MAX_OPEN_SOURCES = 32;

export const METHOD_STORED = 0;
export const METHOD_DEFLATED = 8;

/** What the local header and central directory say about one entry. */
export interface ZipEntryHeader {
  /** Name inside the archive, `/`-separated; folders end with `/`. */
  name: string;
  /** Full Unix mode, type bits included (0o100644, 0o100755, 0o40755). */
  mode: number;
  method: typeof METHOD_STORED | typeof METHOD_DEFLATED;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
}

export interface ZipWriterOptions {
  /**
   * Write ZIP64 fields for every entry and the end records, even where 32 bits would do (valid for any reader);
   * for tests of the ZIP64 path, which otherwise needs archives over 4 GB.
   */
  forceZip64?: boolean;
  /** Leave out the running sha256 (a scratch archive nobody publishes, e.g. a spool of deflated entries). */
  noDigest?: boolean;
}

interface CentralRecord {
  header: ZipEntryHeader;
  offset: number;
  zip64: boolean;
}

/** The worst-case size zlib gives a deflate stream of `size` bytes (deflateBound, plus margin). */
function deflateBound(size: number): number {
  return size + Math.ceil(size / 4096) + Math.ceil(size / 16384) + 64;
}

function isAscii(text: string): boolean {
  return /^[\x00-\x7f]*$/.test(text);
}

/** Appends entries to a zip file one after the other; `finish` writes the central directory. */
export class ZipWriter {
  private position = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly records: CentralRecord[] = [];
  private readonly sources = new Map<string, fs.FileHandle>();
  private readonly copyBuffer = Buffer.allocUnsafe(FLUSH_BYTES);
  /** sha256 of everything written, while the bytes are only appended; dropped once a header is patched. */
  private hash: Hash | undefined = createHash('sha256');

  private constructor(
    private readonly handle: fs.FileHandle,
    private readonly options: ZipWriterOptions,
  ) {
    if (options.noDigest) this.hash = undefined;
  }

  /** Creates (or truncates) `file` and returns a writer for it. */
  static async create(file: string, options: ZipWriterOptions = {}): Promise<ZipWriter> {
    return new ZipWriter(await fs.open(file, 'w'), options);
  }

  get entries(): number {
    return this.records.length;
  }

  private async append(data: Buffer): Promise<void> {
    if (data.length === 0) return;
    this.hash?.update(data);
    this.pending.push(data);
    this.pendingBytes += data.length;
    this.position += data.length;
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const data = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    const start = this.position - this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await this.handle.write(data, written, data.length - written, start + written);
      written += bytesWritten;
    }
  }

  private localHeader(header: ZipEntryHeader, zip64: boolean): Buffer {
    const name = Buffer.from(header.name, 'utf8');
    const extra = zip64 ? Buffer.alloc(20) : Buffer.alloc(0);
    if (zip64) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(16, 2);
      extra.writeBigUInt64LE(BigInt(header.uncompressedSize), 4);
      extra.writeBigUInt64LE(BigInt(header.compressedSize), 12);
    }
    const fixed = Buffer.alloc(30);
    fixed.writeUInt32LE(0x04034b50, 0);
    fixed.writeUInt16LE(zip64 ? 45 : 20, 4);
    fixed.writeUInt16LE(isAscii(header.name) ? 0 : UTF8_FLAG, 6);
    fixed.writeUInt16LE(header.method, 8);
    fixed.writeUInt16LE(DOS_TIME, 10);
    fixed.writeUInt16LE(DOS_DATE, 12);
    fixed.writeUInt32LE(header.crc32 >>> 0, 14);
    fixed.writeUInt32LE(zip64 ? MAX32 : header.compressedSize, 18);
    fixed.writeUInt32LE(zip64 ? MAX32 : header.uncompressedSize, 22);
    fixed.writeUInt16LE(name.length, 26);
    fixed.writeUInt16LE(extra.length, 28);
    return Buffer.concat([fixed, name, extra]);
  }

  private needsZip64(uncompressedSize: number, compressedSize: number): boolean {
    return !!this.options.forceZip64 || uncompressedSize >= MAX32 || compressedSize >= MAX32;
  }

  private checkName(name: string): void {
    if (Buffer.byteLength(name) > MAX16) throw new BuildError(`zip entry name ${name.slice(0, 80)}... is longer than 65535 bytes; shorten the path`);
  }

  /** Adds an entry whose (already compressed, as `header.method` says) data is in memory; returns its local header's offset. */
  async addBuffer(header: ZipEntryHeader, data: Buffer): Promise<number> {
    this.checkName(header.name);
    const zip64 = this.needsZip64(header.uncompressedSize, header.compressedSize);
    const offset = this.position;
    this.records.push({ header, offset, zip64 });
    await this.append(this.localHeader(header, zip64));
    await this.append(data);
    return offset;
  }

  /**
   * Adds an entry whose compressed data is copied as it is from `header.compressedSize` bytes of `source` starting
   * at `offset` (e.g. an entry of another zip), read in chunks.
   */
  async addRange(header: ZipEntryHeader, source: string, offset: number): Promise<void> {
    this.checkName(header.name);
    const zip64 = this.needsZip64(header.uncompressedSize, header.compressedSize);
    this.records.push({ header, offset: this.position, zip64 });
    await this.append(this.localHeader(header, zip64));
    const input = await this.sourceHandle(source);
    // Straight from the source into the output through one reused buffer: no garbage per chunk.
    await this.flush();
    let left = header.compressedSize;
    let at = offset;
    while (left > 0) {
      const { bytesRead } = await input.read(this.copyBuffer, 0, Math.min(left, this.copyBuffer.length), at);
      if (bytesRead === 0) throw new BuildError(`${source} ended before the ${header.compressedSize} bytes of ${header.name} at offset ${offset}; the archive is truncated, download it again`);
      const chunk = this.copyBuffer.subarray(0, bytesRead);
      this.hash?.update(chunk);
      let written = 0;
      while (written < bytesRead) written += (await this.handle.write(chunk, written, bytesRead - written, this.position + written)).bytesWritten;
      this.position += bytesRead;
      left -= bytesRead;
      at += bytesRead;
    }
  }

  /** An open handle on `source`, kept for the next entries from the same archive (a wheel gives many). */
  private async sourceHandle(source: string): Promise<fs.FileHandle> {
    const open = this.sources.get(source);
    if (open) return open;
    if (this.sources.size >= MAX_OPEN_SOURCES) {
      const [oldest, handle] = this.sources.entries().next().value as [string, fs.FileHandle];
      this.sources.delete(oldest);
      await handle.close();
    }
    const handle = await fs.open(source, 'r');
    this.sources.set(source, handle);
    return handle;
  }

  private async closeSources(): Promise<void> {
    const handles = [...this.sources.values()];
    this.sources.clear();
    await Promise.all(handles.map((handle) => handle.close().catch(() => undefined)));
  }

  /**
   * Adds a file deflated as it streams from disk (for files too big to hold): the local header is written first
   * with zero sizes and crc, then filled in once the data is written.
   */
  async addStreamedFile(name: string, mode: number, file: string, size: number, level: number): Promise<void> {
    await this.addDeflated(name, mode, createReadStream(file, { highWaterMark: FLUSH_BYTES }), size, level, file);
  }

  /**
   * Adds `size` bytes deflated as they stream from `source` (a file, a tar entry): the local header is written
   * first with zero sizes and crc, then filled in. The bytes do not depend on how the source is chunked. Returns
   * the entry's local header offset.
   */
  async addDeflated(name: string, mode: number, source: AsyncIterable<Buffer>, size: number, level: number, what: string): Promise<{ offset: number; crc32: number; compressedSize: number }> {
    this.checkName(name);
    const zip64 = this.needsZip64(size, deflateBound(size));
    const header: ZipEntryHeader = { name, mode, method: METHOD_DEFLATED, crc32: 0, compressedSize: 0, uncompressedSize: size };
    const record: CentralRecord = { header, offset: this.position, zip64 };
    this.records.push(record);
    const placeholder = this.localHeader(header, zip64);
    await this.append(placeholder);
    let crc = 0;
    let read = 0;
    let compressed = 0;
    await pipeline(
      source,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          crc = zlib.crc32(chunk, crc);
          read += chunk.length;
          yield chunk;
        }
      },
      zlib.createDeflateRaw({ level }),
      async (chunks: AsyncIterable<Buffer>) => {
        for await (const chunk of chunks) {
          compressed += chunk.length;
          await this.append(chunk);
        }
      },
    );
    if (read !== size) throw new BuildError(`${what} changed size while it was being zipped (${size} then ${read} bytes); build the layer again`);
    header.crc32 = crc;
    header.compressedSize = compressed;
    await this.flush();
    this.hash = undefined;
    const patched = this.localHeader(header, zip64);
    await this.handle.write(patched, 0, patched.length, record.offset);
    return { offset: record.offset, crc32: crc, compressedSize: compressed };
  }

  private centralRecord({ header, offset, zip64 }: CentralRecord): Buffer {
    const name = Buffer.from(header.name, 'utf8');
    const offset64 = !!this.options.forceZip64 || offset >= MAX32;
    const fields: number[] = [];
    if (zip64) fields.push(header.uncompressedSize, header.compressedSize);
    if (offset64) fields.push(offset);
    const extra = Buffer.alloc(fields.length ? 4 + 8 * fields.length : 0);
    if (fields.length) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(8 * fields.length, 2);
      fields.forEach((value, i) => extra.writeBigUInt64LE(BigInt(value), 4 + 8 * i));
    }
    const isDir = header.name.endsWith('/');
    const fixed = Buffer.alloc(46);
    fixed.writeUInt32LE(0x02014b50, 0);
    fixed.writeUInt16LE(MADE_BY, 4);
    fixed.writeUInt16LE(fields.length ? 45 : 20, 6);
    fixed.writeUInt16LE(isAscii(header.name) ? 0 : UTF8_FLAG, 8);
    fixed.writeUInt16LE(header.method, 10);
    fixed.writeUInt16LE(DOS_TIME, 12);
    fixed.writeUInt16LE(DOS_DATE, 14);
    fixed.writeUInt32LE(header.crc32 >>> 0, 16);
    fixed.writeUInt32LE(zip64 ? MAX32 : header.compressedSize, 20);
    fixed.writeUInt32LE(zip64 ? MAX32 : header.uncompressedSize, 24);
    fixed.writeUInt16LE(name.length, 28);
    fixed.writeUInt16LE(extra.length, 30);
    fixed.writeUInt16LE(0, 32); // comment length
    fixed.writeUInt16LE(0, 34); // disk number start
    fixed.writeUInt16LE(0, 36); // internal attributes
    // Unix mode in the high half; the MS-DOS directory bit for readers that only look at the low half.
    fixed.writeUInt32LE((((header.mode & 0xffff) << 16) | (isDir ? 0x10 : 0)) >>> 0, 38);
    fixed.writeUInt32LE(offset64 ? MAX32 : offset, 42);
    return Buffer.concat([fixed, name, extra]);
  }

  /** Writes the central directory and end records, closes the file and returns its sha256 and size. */
  async finish(): Promise<{ sha256?: Buffer; size: number }> {
    try {
      const start = this.position;
      for (const record of this.records) await this.append(this.centralRecord(record));
      const size = this.position - start;
      const count = this.records.length;
      const zip64 = !!this.options.forceZip64 || count > MAX16 || start >= MAX32 || size >= MAX32;
      if (zip64) {
        const at = this.position;
        const end64 = Buffer.alloc(56);
        end64.writeUInt32LE(0x06064b50, 0);
        end64.writeBigUInt64LE(44n, 4);
        end64.writeUInt16LE(MADE_BY, 12);
        end64.writeUInt16LE(45, 14);
        end64.writeUInt32LE(0, 16);
        end64.writeUInt32LE(0, 20);
        end64.writeBigUInt64LE(BigInt(count), 24);
        end64.writeBigUInt64LE(BigInt(count), 32);
        end64.writeBigUInt64LE(BigInt(size), 40);
        end64.writeBigUInt64LE(BigInt(start), 48);
        const locator = Buffer.alloc(20);
        locator.writeUInt32LE(0x07064b50, 0);
        locator.writeUInt32LE(0, 4);
        locator.writeBigUInt64LE(BigInt(at), 8);
        locator.writeUInt32LE(1, 16);
        await this.append(end64);
        await this.append(locator);
      }
      const end = Buffer.alloc(22);
      end.writeUInt32LE(0x06054b50, 0);
      end.writeUInt16LE(0, 4);
      end.writeUInt16LE(0, 6);
      end.writeUInt16LE(zip64 ? MAX16 : count, 8);
      end.writeUInt16LE(zip64 ? MAX16 : count, 10);
      end.writeUInt32LE(zip64 ? MAX32 : size, 12);
      end.writeUInt32LE(zip64 ? MAX32 : start, 16);
      end.writeUInt16LE(0, 20);
      await this.append(end);
      await this.flush();
      return { sha256: this.hash?.digest(), size: this.position };
    } finally {
      await this.closeSources();
      await this.handle.close();
    }
  }

  /** Closes the file without finishing it (after a failure). */
  async abort(): Promise<void> {
    await this.closeSources();
    await this.handle.close().catch(() => undefined);
  }
}
