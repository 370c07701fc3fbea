import * as path from 'node:path';
import * as pacote from 'pacote';
import * as tar from 'tar';
import { ArchiveSpool, heldInMemory } from '../../archive/archive-spool';
import type { ArchivedEntry } from '../../archive/archived-entry';
import { mapLimit } from '../../shared/handler-runtime';
import { ElfFormatError, isElf, readElf, type ByteReader, type ElfInfo } from '../elf/elf';
import type { NativeFile } from '../elf/native-check';
import { BuildError } from '../kind';
import type { InstalledPackages, PackageScripts } from './install-scripts';
import { LaidOutTree } from './laid-out-tree';
import { stripLaidOut, type NpmStrip } from './strip';
import { explainRegistryError, type NpmTarget, type TreePackage } from './tree';

/**
 * npm packages laid out as a layer without extracting them: each tarball is fetched with its integrity checked by
 * pacote (ssri), gunzipped once, and every file pacote would extract is deflated into a spool as it streams by; the
 * layer is then a list of ArchivedEntry that the zip writer copies in its sorted order. The layout is exactly what
 * `fetchTree` + `stripPackages` leave on disk (the same names, modes, folders and bytes), so both give the same zip:
 *
 * - pacote's extraction rules: the first path component (`package/`) is dropped; only files are kept (links,
 *   folders, devices and FIFOs are skipped, folders exist because files are in them); `.gitignore` becomes
 *   `.npmignore` unless one was already seen; a file is executable when its tar mode has an execute bit (pacote
 *   ORs 0666 in and masks with the umask 022); a file written twice keeps its first mode and its last content;
 *   a file where a folder is (or the other way round) is skipped, as node-tar does.
 * - a nested package's folder is emptied before its own tarball fills it (pacote empties the destination), so a
 *   bundled copy in the parent's tarball is replaced, not merged.
 * - path safety: an entry naming `..` or resolving outside its package folder fails the build (node-tar would
 *   skip it with a warning); nothing of that package, nor of the layer, is published.
 */

/** A file of the streamed layout: its bytes in the spool, and what its content said about it. */
export interface StreamedFile {
  size: number;
  entry: ArchivedEntry;
  /** Set for ELF files (by content, whatever the name): what it needs, or why it cannot be read. */
  elf?: ElfInfo | ElfFormatError;
}

/** What one tarball holds, as pacote would extract it; names relative to the package folder. */
interface TarballFiles {
  files: Map<string, StreamedFile>;
  manifest: Record<string, unknown> | undefined;
}

export interface StreamedLayout {
  /** The layer's files (names below `nodejs/`) and the folders strip emptied, for the zip writer. */
  archived: ArchivedEntry[];
  /** Bytes strip left out per category. */
  stripped: Record<string, number>;
  /** ELF files of the layer, relative to `nodejs/`, in the order findNativeFiles finds them on disk. */
  nativeFiles: NativeFile[];
  /** The layer's packages as the install-script check reads them. */
  installed: InstalledPackages;
  unzippedBytes: number;
  /** The largest top-level packages (their nested dependencies included), biggest first, as `name (bytes)`. */
  largest: Array<[string, number]>;
}

/** Bytes of small files read and waiting for their deflate, per tarball: the parser waits beyond it. */
const WINDOW_BYTES = 8 * 1024 * 1024;
const WINDOW_FILES = 32;
/** node-tar's default: deeper paths are skipped. */
const MAX_DEPTH = 1024;

/** A bound on the bytes and files waiting for their deflate. */
class Window {
  private bytes = 0;
  private files = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly maxBytes: number,
    private readonly maxFiles: number,
  ) {}

  async enter(bytes: number): Promise<void> {
    while (this.files > 0 && (this.files >= this.maxFiles || this.bytes + bytes > this.maxBytes)) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.bytes += bytes;
    this.files++;
  }

  leave(bytes: number): void {
    this.bytes -= bytes;
    this.files--;
    this.waiting.shift()?.();
  }
}

function refuse(label: string, p: TreePackage, name: string, why: string): BuildError {
  return new BuildError(
    `${label}: ${p.name}@${p.version} (${p.resolved}): the tarball's entry ${JSON.stringify(name)} ${why}; refusing the package, nothing was built. Pin another version, or report the tarball to the package's maintainers`,
  );
}

/**
 * Where pacote (node-tar with `strip: 1`) would write a tar entry, relative to the package folder: undefined for
 * what it skips, a BuildError for what climbs out.
 */
function extractedName(entryPath: string, label: string, p: TreePackage): string | undefined | BuildError {
  const parts = entryPath.split('/');
  parts.splice(0, 1);
  if (parts.length > MAX_DEPTH) return undefined;
  let rel = parts.join('/');
  if (rel.replace(/\\/g, '/').split('/').includes('..')) return refuse(label, p, entryPath, "names '..' and would be written outside its package folder");
  // node-tar strips an absolute root (with a warning) and writes below the folder.
  rel = rel.replace(/^\/+/, '');
  const normalized = path.posix.normalize(rel === '' ? '.' : rel).replace(/\/+$/, '');
  if (normalized === '.' || normalized === '') return undefined;
  if (normalized.startsWith('../') || normalized === '..' || path.posix.isAbsolute(normalized)) return refuse(label, p, entryPath, 'would be written outside its package folder');
  return normalized;
}

function elfOf(data: Buffer | ByteReader): ElfInfo | ElfFormatError | undefined {
  const head = typeof data === 'function' ? data(0, 4) : data;
  if (head.length < 4 || !isElf(head)) return undefined;
  try {
    return readElf(data);
  } catch (error) {
    if (error instanceof ElfFormatError) return error;
    throw error;
  }
}

/** The whole content of a tar entry. */
function contentOf(entry: tar.ReadEntry): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    entry.on('data', (chunk: Buffer) => chunks.push(chunk));
    entry.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    entry.on('error', reject);
  });
}

/** A tar entry's chunks as they stream, kept when the content is an ELF file (its needs are read from them at the end). */
function keepingElf(entry: tar.ReadEntry): { chunks: AsyncIterable<Buffer>; elf(): ElfInfo | ElfFormatError | undefined } {
  let head: Buffer[] | undefined = [];
  let seen = 0;
  let decided = false;
  return {
    chunks: (async function* () {
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        if (head) head.push(chunk);
        if (!decided && (seen += chunk.length) >= 4) {
          decided = true;
          if (!isElf(Buffer.concat(head!))) head = undefined;
        }
        yield chunk;
      }
    })(),
    elf: () => (decided && head ? elfOf(chunkReader(head)) : undefined),
  };
}

/** Reads content held as chunks without joining them (a big native file is read where its headers are). */
function chunkReader(chunks: Buffer[]): ByteReader {
  const starts: number[] = [];
  let total = 0;
  for (const chunk of chunks) {
    starts.push(total);
    total += chunk.length;
  }
  return (offset, length) => {
    const end = Math.min(offset + length, total);
    if (offset >= end) return Buffer.alloc(0);
    let i = 0;
    for (let lo = 0, hi = chunks.length - 1; lo <= hi; ) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] <= offset) (i = mid), (lo = mid + 1);
      else hi = mid - 1;
    }
    const out = Buffer.allocUnsafe(end - offset);
    for (let at = offset, filled = 0; at < end; i++) {
      const from = at - starts[i];
      const take = Math.min(chunks[i].length - from, end - at);
      chunks[i].copy(out, filled, from, from + take);
      filled += take;
      at += take;
    }
    return out;
  };
}

/** Reads one verified tarball stream into the spool. Called again from scratch if pacote retries the download. */
function spoolTarball(stream: NodeJS.ReadableStream, p: TreePackage, spool: ArchiveSpool, label: string): Promise<TarballFiles> {
  return new Promise<TarballFiles>((resolve, reject) => {
    const files = new Map<string, StreamedFile>();
    /** Files by name in tar order: a later copy keeps the first one's mode (node-tar reopens the file) and its own content. */
    const claimed = new Map<string, { copy: number; executable: boolean }>();
    const folders = new Set<string>();
    const sawIgnores = new Set<string>();
    const window = new Window(WINDOW_BYTES, WINDOW_FILES);
    const jobs: Array<Promise<void>> = [];
    let manifest: Record<string, unknown> | undefined;
    let failed = false;

    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      // Jobs still running write into the spool for nothing: their entries are never listed.
      reject(error);
    };
    /** Whether a file can go at `name`, as node-tar decides: a folder or a file in the way, and the later one is skipped. */
    const fits = (name: string): boolean => {
      if (folders.has(name)) return false;
      for (let at = name.indexOf('/'); at > 0; at = name.indexOf('/', at + 1)) if (claimed.has(name.slice(0, at))) return false;
      return true;
    };

    const parser = new tar.Parser({
      strict: true,
      onReadEntry: (entry) => {
        if (failed || !/File$/.test(entry.type)) {
          entry.resume();
          return;
        }
        let entryPath = entry.path;
        const base = path.posix.basename(entryPath);
        if (base === '.npmignore') sawIgnores.add(entryPath);
        else if (base === '.gitignore') {
          const renamed = entryPath.replace(/\.gitignore$/, '.npmignore');
          if (sawIgnores.has(renamed)) {
            entry.resume();
            return;
          }
          entryPath = renamed;
        }
        const name = extractedName(entryPath, label, p);
        if (name instanceof BuildError) {
          entry.resume();
          fail(name);
          return;
        }
        if (name === undefined || !fits(name)) {
          entry.resume();
          return;
        }
        // pacote: ((mode | 0666) & ~umask) | 0600, and no package bins for a remote tarball: the execute bits stay.
        const before = claimed.get(name);
        const copy = (before?.copy ?? 0) + 1;
        const executable = before?.executable ?? ((entry.mode ?? 0) & 0o111) !== 0;
        claimed.set(name, { copy, executable });
        for (let at = name.indexOf('/'); at > 0; at = name.indexOf('/', at + 1)) folders.add(name.slice(0, at));
        const place = (file: StreamedFile) => {
          if (claimed.get(name)!.copy === copy) files.set(name, file);
        };
        const size = entry.size ?? 0;
        const spoolName = `${p.location}/${name}`;
        const job = (async () => {
          await window.enter(size);
          try {
            if (heldInMemory(size)) {
              const data = await contentOf(entry);
              if (name === 'package.json') {
                try {
                  manifest = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
                } catch {
                  manifest = {};
                }
              }
              const elf = elfOf(data);
              const archived = await spool.addBuffer(spoolName, executable, data);
              place({ size: data.length, entry: archived, ...(elf ? { elf } : {}) });
            } else {
              // Too big to hold: deflated as it streams.
              const streamed = keepingElf(entry);
              const archived = await spool.addStream(spoolName, executable, streamed.chunks, size);
              const elf = streamed.elf();
              place({ size, entry: archived, ...(elf ? { elf } : {}) });
            }
          } finally {
            window.leave(size);
          }
        })();
        job.catch(fail);
        jobs.push(job);
      },
    });
    parser.on('error', (error: Error) => fail(new BuildError(`${label}: ${p.name}@${p.version} (${p.resolved}) is not a readable tarball: ${error.message}`)));
    parser.on('end', () => {
      // Every entry's job was started before the parser ended; an integrity failure arrives before the end.
      void Promise.all(jobs).then(
        () => {
          if (!failed) resolve({ files, manifest });
        },
        fail,
      );
    });
    stream.on('error', fail);
    stream.pipe(parser as unknown as NodeJS.WritableStream);
  });
}

/** Fetches one package's tarball (integrity checked) into the spool. */
async function spoolPackage(p: TreePackage, spool: ArchiveSpool, target: NpmTarget, label: string): Promise<TarballFiles> {
  let read: TarballFiles;
  try {
    read = await pacote.tarball.stream(`${p.name}@${p.resolved}`, (stream) => spoolTarball(stream as unknown as NodeJS.ReadableStream, p, spool, label), {
      registry: target.registry,
      cache: target.cache,
      integrity: p.integrity,
      resolved: p.resolved,
    } as pacote.Options);
  } catch (error) {
    explainRegistryError(error, `${label}: ${p.name}@${p.version} (${p.resolved})`, target);
  }
  const manifest = read.manifest as { name?: string; version?: string } | undefined;
  if (manifest?.name !== p.name || manifest?.version !== p.version) {
    throw new BuildError(`${label}: the tarball ${p.resolved} holds ${manifest?.name}@${manifest?.version}, not ${p.name}@${p.version}; the registry serves a wrong file, nothing was built`);
  }
  return read;
}

/** Byte order of `/`-separated names compared component by component: the order of a sorted directory walk. */
function walkOrder(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return x.length - y.length;
}

/**
 * Lays out a resolved tree from its tarballs, streamed into a spool at `spoolFile`, stripped as the tree would be.
 * Nothing is extracted; the returned entries go to the zip writer as `BuiltLayer.archived`.
 */
export async function streamTree(packages: TreePackage[], spoolFile: string, target: NpmTarget, strip: NpmStrip, platform: string, label: string, concurrency = 8): Promise<StreamedLayout> {
  const spool = await ArchiveSpool.create(spoolFile);
  const read = new Map<string, TarballFiles>();
  try {
    await mapLimit(packages, concurrency, async (p) => {
      read.set(p.location, await spoolPackage(p, spool, target, label));
    });
    await spool.finish();
  } catch (error) {
    await spool.abort();
    throw error;
  }

  // Parents first: a nested package's folder is emptied, then filled from its own tarball, as pacote does.
  const depth = (p: TreePackage) => p.location.split('/node_modules/').length;
  const ordered = [...packages].sort((a, b) => depth(a) - depth(b) || (a.location < b.location ? -1 : a.location > b.location ? 1 : 0));
  const tree = new LaidOutTree<StreamedFile>();
  tree.addFolder('node_modules');
  const manifests = new Map<string, PackageScripts>();
  for (const p of ordered) {
    if (!tree.addFolder(p.location)) throw new BuildError(`${label}: ${p.location} is a file of another package's tarball; the tree cannot be installed`);
    tree.empty(p.location);
    const { files, manifest } = read.get(p.location)!;
    for (const [name, file] of files) tree.addFile(`${p.location}/${name}`, file);
    manifests.set(p.location, (manifest ?? {}) as PackageScripts);
  }
  const stripped = stripLaidOut(tree, packages, strip, platform);

  const archived: ArchivedEntry[] = [];
  const nativeFiles: NativeFile[] = [];
  let unzippedBytes = 0;
  for (const [name, file] of tree.allFiles()) {
    archived.push({ ...file.entry, name: `nodejs/${name}` });
    unzippedBytes += file.size;
    if (file.elf instanceof ElfFormatError) throw new BuildError(`${name} starts like an ELF file but cannot be read (${file.elf.message}); the package ships a broken native file`);
    if (file.elf) nativeFiles.push({ file: name, ...file.elf });
  }
  // Folders are written as the tree has them, those strip emptied included.
  for (const folder of tree.allFolders()) archived.push({ name: `nodejs/${folder}/`, executable: true, localHeaderOffset: 0, method: 0, crc32: 0, compressedSize: 0, uncompressedSize: 0 });
  nativeFiles.sort((a, b) => walkOrder(a.file, b.file));

  const largest = packages
    .filter((p) => p.location.split('/node_modules/').length === 1)
    .map((p): [string, number] => [p.name, tree.sizeBelow(p.location)])
    .sort((a, b) => b[1] - a[1]);
  return {
    archived,
    stripped,
    nativeFiles,
    unzippedBytes,
    largest,
    installed: {
      manifest: async (p) => manifests.get(p.location) ?? {},
      has: (p, rel) => tree.file(`${p.location}/${rel}`) !== undefined,
    },
  };
}
