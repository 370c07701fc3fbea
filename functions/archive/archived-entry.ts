import { closeSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { BuildError } from '../layers/kind';
import { listZip } from './extract-zip';
import { resolveInside } from './safe-path';
import { METHOD_DEFLATED, METHOD_STORED } from './zip-format';

/**
 * A layer entry whose bytes stay in the archive they came from (a verified wheel in the download cache, a built
 * layer zip): the zip writer copies its compressed bytes, crc and sizes as they are, so the file is never inflated
 * nor written to disk. A folder is an entry whose name ends with `/` and that has no source.
 *
 * Plain JSON, like RawZipEntry. Any kind whose downloads are zips can lay out its layer with these (see
 * `BuiltLayer.archived`); steps that need some files on disk take them out with `extractArchived`.
 */
export interface ArchivedEntry {
  /** Where the entry is in the layer: its zip entry name, `/`-separated; folders end with `/`. */
  name: string;
  /** 0755 instead of 0644 (folders are always 0755). */
  executable: boolean;
  /** The archive that holds the bytes (absent for folders). */
  source?: string;
  /** Offset in `source` of the entry's local header. */
  localHeaderOffset: number;
  /** 0 (stored) or 8 (deflated). */
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
}

/** Entries up to this size are read in one system call; bigger ones are copied in chunks by the zip writer. */
export const IN_ONE_READ = 1 << 20;
const LOCAL_HEADER = 30;
const MAX_OPEN = 32;

/** Where an archived entry's compressed bytes are: in hand (small entries), or at `dataOffset` of its source. */
export type ArchivedBytes = { data: Buffer } | { dataOffset: number };

/**
 * Reads archived entries' compressed bytes with synchronous reads (the archive is on local disk, usually in the page
 * cache: a thread-pool round trip per entry would cost more than the read). Keeps a few archives open.
 */
export class ArchiveSources {
  private readonly open = new Map<string, number>();

  private fd(source: string): number {
    const known = this.open.get(source);
    if (known !== undefined) return known;
    if (this.open.size >= MAX_OPEN) {
      const [oldest, fd] = this.open.entries().next().value as [string, number];
      this.open.delete(oldest);
      closeSync(fd);
    }
    const fd = openSync(source, 'r');
    this.open.set(source, fd);
    return fd;
  }

  private readExactly(fd: number, buffer: Buffer, position: number, what: string): void {
    let filled = 0;
    while (filled < buffer.length) {
      const n = readSync(fd, buffer, filled, buffer.length - filled, position + filled);
      if (n === 0) throw new BuildError(`${what} is truncated (it ends before the entry's bytes); download it again`);
      filled += n;
    }
  }

  /** The entry's compressed bytes (or where they start, for a big entry), checked against its local header. */
  bytes(entry: ArchivedEntry): ArchivedBytes {
    if (!entry.source) throw new BuildError(`${entry.name} has no archive to copy it from`);
    const fd = this.fd(entry.source);
    const what = `${path.basename(entry.source)} (entry ${entry.name})`;
    // Local name and extra field lengths may differ from the central directory's: guess none, read again if wrong.
    const small = entry.compressedSize <= IN_ONE_READ;
    const guess = Buffer.allocUnsafe(LOCAL_HEADER + (small ? entry.compressedSize + 512 : 0));
    const n = readSync(fd, guess, 0, guess.length, entry.localHeaderOffset);
    if (n < LOCAL_HEADER || guess.readUInt32LE(0) !== 0x04034b50) {
      throw new BuildError(`${what}: no local header at offset ${entry.localHeaderOffset}; the archive is corrupt, download it again`);
    }
    const dataOffset = entry.localHeaderOffset + LOCAL_HEADER + guess.readUInt16LE(26) + guess.readUInt16LE(28);
    if (!small) return { dataOffset };
    const start = dataOffset - entry.localHeaderOffset;
    if (start + entry.compressedSize <= n) return { data: guess.subarray(start, start + entry.compressedSize) };
    const data = Buffer.allocUnsafe(entry.compressedSize);
    this.readExactly(fd, data, dataOffset, what);
    return { data };
  }

  /** The first bytes of the entry's content (up to `length`), inflating only what they need. */
  head(entry: ArchivedEntry, length: number): Buffer {
    if (entry.uncompressedSize === 0) return Buffer.alloc(0);
    const found = this.bytes(entry);
    const window = Math.min(entry.compressedSize, Math.max(64, length * 4));
    let compressed: Buffer;
    if ('data' in found) compressed = found.data.subarray(0, window);
    else {
      compressed = Buffer.allocUnsafe(window);
      this.readExactly(this.fd(entry.source!), compressed, found.dataOffset, `${path.basename(entry.source!)} (entry ${entry.name})`);
    }
    if (entry.method !== METHOD_DEFLATED) return compressed.subarray(0, length);
    // A prefix of a deflate stream: sync-flush inflates what it holds instead of failing at its end.
    return zlib.inflateRawSync(compressed, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, length);
  }

  /** The entry's content, inflated (for the few files a later step reads, e.g. a wheel's METADATA). */
  content(entry: ArchivedEntry): Buffer {
    const found = this.bytes(entry);
    let compressed: Buffer;
    if ('data' in found) compressed = found.data;
    else {
      compressed = Buffer.allocUnsafe(entry.compressedSize);
      this.readExactly(this.fd(entry.source!), compressed, found.dataOffset, `${path.basename(entry.source!)} (entry ${entry.name})`);
    }
    const data = entry.method === METHOD_DEFLATED ? zlib.inflateRawSync(compressed) : compressed;
    if (entry.method !== METHOD_DEFLATED && entry.method !== METHOD_STORED) throw new BuildError(`${entry.name}: compression method ${entry.method} is not supported`);
    if (data.length !== entry.uncompressedSize || zlib.crc32(data) !== entry.crc32 >>> 0) {
      throw new BuildError(`${path.basename(entry.source!)} (entry ${entry.name}): its content does not match its crc32 and size; the archive is corrupt, download it again`);
    }
    return data;
  }

  close(): void {
    for (const fd of this.open.values()) closeSync(fd);
    this.open.clear();
  }
}

/**
 * Writes the archived entries `wanted` selects below `root`, each inflated in memory and written with one
 * synchronous write (no thread-pool round trips for thousands of small files). For the steps that need some files
 * of a streamed layer on disk: Verify's bytecode compilation needs `.py` sources, an import check the whole layer.
 * Returns the paths written, relative to `root`.
 */
export function extractArchived(entries: readonly ArchivedEntry[], root: string, wanted: (entry: ArchivedEntry) => boolean = () => true): string[] {
  const sources = new ArchiveSources();
  const written: string[] = [];
  const made = new Set<string>();
  const mkdir = (dir: string) => {
    if (made.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    made.add(dir);
  };
  try {
    for (const entry of entries) {
      if (!wanted(entry)) continue;
      const target = resolveInside(root, entry.name, 'layer');
      if (entry.name.endsWith('/')) {
        mkdir(target);
        continue;
      }
      mkdir(path.dirname(target));
      const data = sources.content(entry);
      rmSync(target, { force: true });
      const fd = openSync(target, 'w', entry.executable ? 0o755 : 0o644);
      try {
        let at = 0;
        while (at < data.length) at += writeSync(fd, data, at, data.length - at);
      } finally {
        closeSync(fd);
      }
      written.push(entry.name);
    }
  } finally {
    sources.close();
  }
  return written;
}

/**
 * A zip's entries as archived entries (e.g. a built layer zip, to add Verify's bytecode to it without unpacking
 * it: pass them to writeDeterministicZip as `archived`, with the new files in the tree). `rename` maps an entry
 * name to its name in the layer, or null to leave it out. Links and encrypted entries cannot be copied: they throw.
 */
export async function archivedEntriesOf(zipFile: string, rename: (name: string) => string | null = (name) => name): Promise<ArchivedEntry[]> {
  const source = path.resolve(zipFile);
  const entries: ArchivedEntry[] = [];
  for (const info of await listZip(source)) {
    const name = rename(info.name);
    if (name === null || name === '') continue;
    if (info.isSymlink || info.isEncrypted || (info.compressionMethod !== METHOD_STORED && info.compressionMethod !== METHOD_DEFLATED)) {
      throw new BuildError(`${path.basename(zipFile)}: entry ${info.name} is a link, encrypted or compressed with method ${info.compressionMethod}; it cannot be copied as it is`);
    }
    entries.push({
      name: info.isDirectory && !name.endsWith('/') ? `${name}/` : name,
      executable: (info.mode & 0o111) !== 0,
      ...(info.isDirectory ? {} : { source }),
      localHeaderOffset: info.localHeaderOffset,
      method: info.compressionMethod,
      crc32: info.crc32,
      compressedSize: info.compressedSize,
      uncompressedSize: info.uncompressedSize,
    });
  }
  return entries;
}
