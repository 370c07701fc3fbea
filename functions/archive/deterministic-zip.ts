import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { BuildError, type BuiltLayer } from '../layers/kind';
import { ArchiveSources, type ArchivedEntry } from './archived-entry';
import { digestFile, type Digest } from './digest';
import type { RawZipEntry } from './raw-entry';
import { METHOD_DEFLATED, METHOD_STORED, ZipWriter, type ZipWriterOptions } from './zip-format';

/** Every entry gets this timestamp (written as the DOS date 1980-01-01 00:00), so the bytes depend only on names, modes and content. */
export const ZIP_EPOCH = new Date('1980-01-01T00:00:00Z');

export interface ZipResult extends Digest {
  path: string;
  /** Sum of the uncompressed sizes: what the layer takes in /opt. */
  unzippedSize: number;
  entries: number;
}

interface Entry {
  name: string;
  absolute: string;
  kind: 'file' | 'dir';
  mode: number;
  size: number;
  /** Set when the bytes come from an archive rather than from `absolute`. */
  archived?: ArchivedEntry;
}

/** Files keep only "executable or not": 0755 or 0644; folders are 0755. */
export function normalizedMode(kind: Entry['kind'], mode: number): number {
  if (kind === 'dir') return 0o755;
  return mode & 0o111 ? 0o755 : 0o644;
}

async function collect(root: string, archived: readonly ArchivedEntry[] = []): Promise<Entry[]> {
  const entries: Entry[] = [];
  if (archived.length > 0) {
    // The tree may add to archived entries, or replace some (what a later step wrote wins); it may also not exist.
    const exists = await fs.stat(root).then((s) => s.isDirectory(), () => false);
    if (!exists) await fs.mkdir(root, { recursive: true });
  }
  let linkDepth = 0;
  async function walk(dir: string): Promise<void> {
    const names = (await fs.readdir(dir)).sort();
    for (const name of names) {
      const absolute = path.join(dir, name);
      const rel = path.relative(root, absolute).split(path.sep).join('/');
      const stat = await fs.lstat(absolute);
      if (stat.isSymbolicLink()) {
        const linkTarget = await fs.readlink(absolute);
        const resolved = path.resolve(path.dirname(absolute), linkTarget);
        if (path.isAbsolute(linkTarget) || !(resolved + path.sep).startsWith(path.resolve(root) + path.sep)) {
          throw new BuildError(`layer content: link ${rel} -> ${linkTarget} points outside the layer; replace it with the file it names`);
        }
        // Stored as the file it names, as `zip -r` does, so the layer does not depend on how its reader treats links.
        const targetStat = await fs.stat(resolved);
        if (targetStat.isDirectory()) {
          entries.push({ name: `${rel}/`, absolute, kind: 'dir', mode: normalizedMode('dir', targetStat.mode), size: 0 });
          if (++linkDepth > 16) throw new BuildError(`layer content: too many nested links at ${rel}`);
          await walk(absolute);
          linkDepth--;
        } else {
          entries.push({ name: rel, absolute: resolved, kind: 'file', mode: normalizedMode('file', targetStat.mode), size: targetStat.size });
        }
      } else if (stat.isDirectory()) {
        entries.push({ name: `${rel}/`, absolute, kind: 'dir', mode: normalizedMode('dir', stat.mode), size: 0 });
        await walk(absolute);
      } else if (stat.isFile()) {
        entries.push({ name: rel, absolute, kind: 'file', mode: normalizedMode('file', stat.mode), size: stat.size });
      }
    }
  }
  await walk(root);
  if (archived.length > 0) mergeArchived(entries, archived);
  // Byte order, not locale order: the same on every machine.
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Adds archived entries to the tree's, with every folder above them, exactly as the tree would hold them had they
 * been extracted into it: the same names, modes and folders give the same zip bytes.
 */
function mergeArchived(entries: Entry[], archived: readonly ArchivedEntry[]): void {
  const names = new Set(entries.map((entry) => entry.name));
  const addFolder = (name: string) => {
    if (names.has(name)) return;
    if (names.has(name.slice(0, -1))) throw new BuildError(`layer content: ${name.slice(0, -1)} is both a file and a folder; build the layer again`);
    names.add(name);
    entries.push({ name, absolute: '', kind: 'dir', mode: 0o755, size: 0 });
  };
  for (const entry of archived) {
    const parts = entry.name.split('/');
    for (let i = 1; i < parts.length; i++) if (parts[i - 1] !== '') addFolder(`${parts.slice(0, i).join('/')}/`);
    if (entry.name.endsWith('/')) continue;
    if (names.has(entry.name)) continue;
    if (names.has(`${entry.name}/`)) throw new BuildError(`layer content: ${entry.name} is both a file and a folder; build the layer again`);
    names.add(entry.name);
    entries.push({ name: entry.name, absolute: '', kind: 'file', mode: normalizedMode('file', entry.executable ? 0o755 : 0o644), size: entry.uncompressedSize, archived: entry });
  }
}

/** The zlib level of every entry lamina compresses itself; fixed, since it is part of the bytes. */
export const ZIP_LEVEL = 9;
/** Files up to this size are read and deflated in memory, several at once; bigger ones are streamed. */
export const IN_MEMORY_BYTES = 8 * 1024 * 1024;
/** Entries prepared ahead of the one being written (reads, crc checks and deflates run on the libuv pool)... */
const LOOKAHEAD = 16;
/** ...as long as the files they may hold in memory stay under this many bytes. */
const LOOKAHEAD_BYTES = 8 * 1024 * 1024;

const deflateRaw = promisify(zlib.deflateRaw);

export interface DeterministicZipOptions {
  /**
   * Compressed bytes already at hand for some files (e.g. from the wheels they were extracted from): copied as they
   * are when the file on disk still has exactly that content (same size and crc32), instead of deflating it again.
   * The same tree with the same raw entries always gives the same bytes.
   */
  rawEntries?: readonly RawZipEntry[];
  /**
   * Entries copied from archives as they are, never read from the tree (e.g. a python layer streamed from its
   * wheels). The tree adds to them; a tree file of the same name replaces the archived one.
   */
  archived?: readonly ArchivedEntry[];
  /** Passed to the zip writer (tests). */
  writer?: ZipWriterOptions;
}

/** How one entry will be written, worked out ahead of its turn. */
type Prepared =
  | { how: 'buffer'; method: typeof METHOD_STORED | typeof METHOD_DEFLATED; crc32: number; data: Buffer }
  | { how: 'raw'; raw: RawZipEntry }
  | { how: 'stream' };

/** Read buffers for crc checks, reused so that checking a big layer makes no garbage (at most LOOKAHEAD in use). */
const crcBuffers: Buffer[] = [];

async function crcOfFile(file: string): Promise<{ crc32: number; size: number }> {
  const buffer = crcBuffers.pop() ?? Buffer.allocUnsafe(256 * 1024);
  const handle = await fs.open(file, 'r');
  try {
    let crc32 = 0;
    let size = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, size);
      if (bytesRead === 0) return { crc32, size };
      crc32 = zlib.crc32(buffer.subarray(0, bytesRead), crc32);
      size += bytesRead;
    }
  } finally {
    await handle.close();
    if (crcBuffers.length < LOOKAHEAD) crcBuffers.push(buffer);
  }
}

function reusable(raw: RawZipEntry | undefined, size: number): raw is RawZipEntry {
  return !!raw && (raw.method === METHOD_STORED || raw.method === METHOD_DEFLATED) && raw.uncompressedSize === size;
}

/** True when the archive the raw bytes come from is still there, long enough to hold them. */
async function sourceHolds(raw: RawZipEntry): Promise<boolean> {
  const stat = await fs.stat(raw.source).catch(() => undefined);
  return !!stat && stat.isFile() && raw.dataOffset >= 0 && raw.dataOffset + raw.compressedSize <= stat.size;
}

async function prepare(entry: Entry, raw: RawZipEntry | undefined): Promise<Prepared> {
  if (entry.kind === 'dir') return { how: 'buffer', method: METHOD_STORED, crc32: 0, data: Buffer.alloc(0) };
  if (reusable(raw, entry.size) && (await sourceHolds(raw))) {
    // Only the file's own content may be reused: strip, overlapping wheels or any later edit fall back to deflating.
    const actual = await crcOfFile(entry.absolute);
    if (actual.size === raw.uncompressedSize && actual.crc32 === raw.crc32 >>> 0) return { how: 'raw', raw };
  }
  if (entry.size > IN_MEMORY_BYTES) return { how: 'stream' };
  const data = await fs.readFile(entry.absolute);
  if (data.length !== entry.size) throw new BuildError(`${entry.absolute} changed size while it was being zipped (${entry.size} then ${data.length} bytes); build the layer again`);
  return { how: 'buffer', ...(await compressedEntry(data)) };
}

/**
 * How lamina stores a file of up to IN_MEMORY_BYTES held in memory: deflated at ZIP_LEVEL, or stored when deflating
 * does not help (empty or incompressible files), as `zip` does. Whatever the file came from (a tree, a tarball),
 * the same content gives the same bytes.
 */
export async function compressedEntry(data: Buffer): Promise<{ method: typeof METHOD_STORED | typeof METHOD_DEFLATED; crc32: number; data: Buffer }> {
  const crc32 = zlib.crc32(data);
  const deflated = data.length ? await deflateRaw(data, { level: ZIP_LEVEL }) : data;
  return deflated.length < data.length ? { method: METHOD_DEFLATED, crc32, data: deflated } : { method: METHOD_STORED, crc32, data };
}

/**
 * Zips the content of `rootDir` into `outFile` deterministically: sorted entries, a fixed date, normalized modes,
 * a fixed compression level (or a file's compressed bytes copied from `options.rawEntries`). The same tree (and
 * the same raw entries) always gives the same bytes, hence the same CodeSha256. Streams: memory stays bounded
 * whatever the size of the layer.
 */
export async function writeDeterministicZip(rootDir: string, outFile: string, options: DeterministicZipOptions = {}): Promise<ZipResult> {
  const entries = await collect(rootDir, options.archived);
  if (!entries.some((entry) => entry.kind === 'file')) {
    throw new BuildError(`layer content at ${rootDir} is empty; a layer needs at least one file`);
  }
  const raws = new Map<string, RawZipEntry>();
  for (const raw of options.rawEntries ?? []) raws.set(raw.name, raw);
  await fs.mkdir(path.dirname(outFile), { recursive: true });
  const writer = await ZipWriter.create(outFile, options.writer);
  const sources = new ArchiveSources();
  let finished: { sha256?: Buffer; size: number };
  try {
    // Entries are prepared several at a time but written strictly in sorted order.
    const jobs: Array<Promise<Prepared> | undefined> = [];
    const cost = (entry: Entry) => (entry.kind === 'file' && entry.size <= IN_MEMORY_BYTES ? entry.size : 0);
    let next = 0;
    let held = 0;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      const mode = entry.kind === 'dir' ? 0o40000 | entry.mode : 0o100000 | entry.mode;
      if (entry.archived) {
        // Read synchronously in turn: a memory copy from the page cache, no lookahead needed.
        const a = entry.archived;
        const header = { name: entry.name, mode, method: a.method as 0 | 8, crc32: a.crc32, compressedSize: a.compressedSize, uncompressedSize: a.uncompressedSize };
        const found = sources.bytes(a);
        if ('data' in found) await writer.addBuffer(header, found.data);
        else await writer.addRange(header, a.source!, found.dataOffset);
        continue;
      }
      while (next < entries.length && next < i + LOOKAHEAD && (next === i || held + cost(entries[next]) <= LOOKAHEAD_BYTES)) {
        const entry = entries[next];
        if (entry.archived) {
          next++;
          continue;
        }
        const job = prepare(entry, entry.kind === 'file' ? raws.get(entry.name) : undefined);
        job.catch(() => undefined); // awaited in turn; this only keeps an early failure from being "unhandled"
        jobs[next++] = job;
        held += cost(entry);
      }
      const prepared = await jobs[i]!;
      jobs[i] = undefined;
      if (prepared.how === 'raw') {
        const { raw } = prepared;
        const header = { name: entry.name, mode, method: raw.method as 0 | 8, crc32: raw.crc32, compressedSize: raw.compressedSize, uncompressedSize: raw.uncompressedSize };
        await writer.addRange(header, raw.source, raw.dataOffset);
      } else if (prepared.how === 'stream') {
        await writer.addStreamedFile(entry.name, mode, entry.absolute, entry.size, ZIP_LEVEL);
      } else {
        const header = { name: entry.name, mode, method: prepared.method, crc32: prepared.crc32, compressedSize: prepared.data.length, uncompressedSize: entry.size };
        await writer.addBuffer(header, prepared.data);
      }
      held -= cost(entry);
    }
    finished = await writer.finish();
  } catch (error) {
    await writer.abort();
    await fs.rm(outFile, { force: true });
    throw error;
  } finally {
    sources.close();
  }
  const digest: Digest = finished.sha256
    ? { sha256: finished.sha256.toString('hex'), codeSha256: finished.sha256.toString('base64'), size: finished.size }
    : await digestFile(outFile);
  return {
    ...digest,
    path: outFile,
    unzippedSize: entries.reduce((sum, entry) => sum + entry.size, 0),
    entries: entries.length,
  };
}

/** Zips what a kind built: its folder, the compressed bytes it has at hand, and its archived entries. */
export function zipBuiltLayer(built: Pick<BuiltLayer, 'rootDir' | 'rawEntries' | 'archived'>, outFile: string, options: Pick<DeterministicZipOptions, 'writer'> = {}): Promise<ZipResult> {
  return writeDeterministicZip(built.rootDir, outFile, { ...options, rawEntries: built.rawEntries, archived: built.archived });
}
