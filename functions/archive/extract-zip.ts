import { createWriteStream, promises as fs, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as yauzl from 'yauzl';
import { BuildError, LaminaError } from '../layers/kind';
import type { RawZipEntry } from './raw-entry';
import { assertLinkInside, resolveInside } from './safe-path';
import { ChunkedZipReader } from './zip-file-reader';
import { ArchiveSources, IN_ONE_READ, type ArchivedEntry } from './archived-entry';
import { METHOD_DEFLATED, METHOD_STORED } from './zip-format';

export interface ZipEntryInfo {
  name: string;
  uncompressedSize: number;
  compressedSize: number;
  /** Unix mode from the external attributes (0 when the archive was not made on Unix). */
  mode: number;
  isDirectory: boolean;
  isSymlink: boolean;
  /** Compression method (0 stored, 8 deflated, ...). */
  compressionMethod: number;
  crc32: number;
  isEncrypted: boolean;
  /** Where the entry's local header starts in the archive. */
  localHeaderOffset: number;
}

function open(source: string | Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    const options = { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false };
    const callback = (error: Error | null, zip?: yauzl.ZipFile) => (error || !zip ? reject(error) : resolve(zip));
    if (typeof source !== 'string') return yauzl.fromBuffer(source, options, callback);
    let reader: ChunkedZipReader;
    try {
      reader = new ChunkedZipReader(source);
    } catch (error) {
      return reject(error);
    }
    yauzl.fromRandomAccessReader(reader, reader.size, options, (error, zip) => {
      // yauzl closes the reader with the zip, but not when it cannot open it.
      if (error || !zip) reader.close(() => undefined);
      callback(error, zip);
    });
  });
}

function infoOf(entry: yauzl.Entry): ZipEntryInfo {
  const mode = (entry.externalFileAttributes >>> 16) & 0xffff;
  return {
    name: entry.fileName,
    uncompressedSize: entry.uncompressedSize,
    compressedSize: entry.compressedSize,
    mode,
    isDirectory: entry.fileName.endsWith('/') || (mode & 0o170000) === 0o040000,
    isSymlink: (mode & 0o170000) === 0o120000,
    compressionMethod: entry.compressionMethod,
    crc32: entry.crc32,
    isEncrypted: entry.isEncrypted(),
    localHeaderOffset: entry.relativeOffsetOfLocalHeader,
  };
}

/** A zip with two entries for one path: readers disagree on which wins, so lamina trusts neither. */
export class DuplicateZipEntryError extends LaminaError {
  constructor(
    readonly label: string,
    readonly entryName: string,
  ) {
    super(`${label} has two entries for ${JSON.stringify(entryName)}; a zip whose entries mean two things is refused: rebuild it so that each path appears once`, 'DuplicateZipEntryError');
  }
}

/** The path an entry stands for: `a/b/` and `a/b` are one path, so are `./a` and `a`. */
function entryPath(name: string): string {
  return path.posix.normalize(name).replace(/\/+$/, '');
}

/**
 * Visits every entry of a zip (a file path or a buffer) in order; `visit` may read the entry's content. A zip with
 * two entries for one path fails with DuplicateZipEntryError before the second is visited.
 */
export async function forEachZipEntry(
  source: string | Buffer,
  visit: (info: ZipEntryInfo, openStream: () => Promise<NodeJS.ReadableStream>, dataOffset: () => Promise<number>) => Promise<void>,
  label = typeof source === 'string' ? path.basename(source) : 'archive',
): Promise<void> {
  const zip = await open(source);
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', (error: Error) => {
        // yauzl checks entry names itself; say so in lamina's words.
        if (/invalid relative path|absolute path|invalid characters/.test(error.message)) {
          reject(new BuildError(`${label}: ${error.message}: the entry would be written outside the target folder; refusing to extract it`));
        } else reject(error);
      });
      zip.on('end', () => resolve());
      const seen = new Set<string>();
      zip.on('entry', (entry: yauzl.Entry) => {
        const key = entryPath(entry.fileName);
        if (seen.has(key)) {
          reject(new DuplicateZipEntryError(label, entry.fileName));
          return;
        }
        seen.add(key);
        const openStream = () =>
          new Promise<NodeJS.ReadableStream>((res, rej) =>
            zip.openReadStream(entry, (error, stream) => (error || !stream ? rej(error) : res(stream))),
          );
        const dataOffset = () =>
          new Promise<number>((res, rej) =>
            zip.readLocalFileHeader(entry, { minimal: true }, (error, header) => (error || !header ? rej(error) : res(header.fileDataStart))),
          );
        visit(infoOf(entry), openStream, dataOffset).then(() => zip.readEntry(), reject);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

/** Lists a zip's entries from its central directory, without inflating anything. */
export async function listZip(source: string | Buffer): Promise<ZipEntryInfo[]> {
  const entries: ZipEntryInfo[] = [];
  await forEachZipEntry(source, async (info) => {
    entries.push(info);
  });
  return entries;
}

export interface ExtractOptions {
  /** Name used in error messages, e.g. the wheel's file name. */
  label?: string;
  /** Maps an entry name to the name to write, or null to skip it. Defaults to the name itself. */
  rename?: (name: string) => string | null;
  /**
   * Called for each regular file written, with where its compressed bytes are in the zip (`name` is the written
   * path relative to `dest`), so a zip writer can copy them later instead of compressing the file again. Only when
   * `source` is a file path.
   */
  onFile?: (raw: RawZipEntry) => void;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Extracts a zip into `dest`: small files with one read and one write each (synchronous: no thread-pool churn for
 * thousands of small files), big ones streamed. Entries or links that would land outside `dest`
 * fail the extraction before anything is written for them. Returns the extracted file paths (relative).
 */
export async function extractZip(source: string | Buffer, dest: string, options: ExtractOptions = {}): Promise<string[]> {
  const label = options.label ?? (typeof source === 'string' ? path.basename(source) : 'archive');
  const written: string[] = [];
  await fs.mkdir(dest, { recursive: true });
  const sources = typeof source === 'string' ? new ArchiveSources() : undefined;
  // Folders already made, so that each costs one system call, not one per file in it.
  const made = new Set<string>();
  try {
    await forEachZipEntry(source, async (info, openStream, dataOffset) => {
      const name = options.rename ? options.rename(info.name) : info.name;
      if (name === null || name === '') return;
      const target = resolveInside(dest, name, label);
      if (info.isDirectory) {
        mkdirSync(target, { recursive: true });
        made.add(target);
        return;
      }
      const parent = path.dirname(target);
      if (!made.has(parent)) {
        mkdirSync(parent, { recursive: true });
        made.add(parent);
      }
      if (info.isSymlink) {
        const linkTarget = await readAll(await openStream());
        assertLinkInside(dest, target, linkTarget, label);
        await fs.rm(target, { force: true });
        await fs.symlink(linkTarget, target);
      } else {
        // A link left by an earlier entry must not redirect this write outside dest.
        rmSync(target, { force: true });
        const mode = info.mode & 0o111 ? 0o755 : 0o644;
        if (sources && !info.isEncrypted && info.compressedSize <= IN_ONE_READ && (info.compressionMethod === METHOD_STORED || info.compressionMethod === METHOD_DEFLATED)) {
          // Small files (most of a layer): one read, inflated in memory (crc checked), one write; no stream and no
          // thread-pool round trips per chunk, which is what made extracting thousands of small files slow.
          writeFileSync(target, sources.content(archivedOf(info, source as string)), { mode });
        } else {
          await pipeline(await openStream(), createWriteStream(target, { mode }));
        }
      }
      const relative = path.relative(dest, target).split(path.sep).join('/');
      written.push(relative);
      if (options.onFile && typeof source === 'string' && !info.isSymlink && !info.isEncrypted) {
        options.onFile({
          name: relative,
          source: path.resolve(source),
          dataOffset: await dataOffset(),
          method: info.compressionMethod,
          crc32: info.crc32,
          compressedSize: info.compressedSize,
          uncompressedSize: info.uncompressedSize,
        });
      }
    }, label);
  } finally {
    sources?.close();
  }
  return written;
}

function archivedOf(info: ZipEntryInfo, source: string): ArchivedEntry {
  return {
    name: info.name,
    executable: (info.mode & 0o111) !== 0,
    source: path.resolve(source),
    localHeaderOffset: info.localHeaderOffset,
    method: info.compressionMethod,
    crc32: info.crc32,
    compressedSize: info.compressedSize,
    uncompressedSize: info.uncompressedSize,
  };
}
