import * as path from 'node:path';
import { ArchiveSources, type ArchivedEntry } from '../../archive/archived-entry';
import { listZip } from '../../archive/extract-zip';
import { resolveInside } from '../../archive/safe-path';
import { METHOD_DEFLATED, METHOD_STORED } from '../../archive/zip-format';
import { BuildError } from '../kind';
import { ElfFormatError, isElf, readElf } from '../elf/elf';
import type { NativeFile } from '../elf/native-check';
import { installedName, TEST_FOLDERS } from './installer';

/**
 * Wheels laid out as a layer without extracting them: each installed file is an ArchivedEntry pointing at its
 * bytes in the verified wheel, so the zip writer copies them straight into the layer zip. The layout is exactly
 * what `installWheel` would leave on disk (same names, modes, folders, last wheel wins), so both give the same zip.
 */

/** Where a site-packages path ends up in the layer. */
export const SITE_PACKAGES = 'python';

/** One wheel's installed files, read from its central directory only. */
export interface WheelListing {
  /** Installed entries, names relative to site-packages (folders end with `/`). */
  entries: ArchivedEntry[];
  /** Bytes the wheel takes once installed. */
  bytes: number;
  /** The `.dist-info` folder name. */
  distInfo?: string;
  /** False when the wheel holds something only extraction handles (a link, an encrypted or unusual entry). */
  streamable: boolean;
}

// Any root would do: resolveInside only compares paths, nothing is written.
const VIRTUAL_ROOT = path.resolve('/lamina-site-packages');

/** Lists a wheel as the files installing it gives; refuses entries that would land outside site-packages. */
export async function listWheel(wheelPath: string, label = path.basename(wheelPath)): Promise<WheelListing> {
  const source = path.resolve(wheelPath);
  const entries: ArchivedEntry[] = [];
  let bytes = 0;
  let streamable = true;
  for (const info of await listZip(source)) {
    const name = installedName(info.name);
    if (name === null || name === '') continue;
    // The same normalization extraction applies (`a//b`, `a/./b`, backslashes), and the same refusals.
    const relative = path.relative(VIRTUAL_ROOT, resolveInside(VIRTUAL_ROOT, name, label)).split(path.sep).join('/');
    if (relative === '') continue;
    if (info.isSymlink || info.isEncrypted || (info.compressionMethod !== METHOD_STORED && info.compressionMethod !== METHOD_DEFLATED)) streamable = false;
    const common = { localHeaderOffset: info.localHeaderOffset, method: info.compressionMethod, crc32: info.crc32, compressedSize: info.compressedSize, uncompressedSize: info.uncompressedSize };
    if (info.isDirectory) entries.push({ name: `${relative}/`, executable: true, ...common, compressedSize: 0, uncompressedSize: 0 });
    else {
      entries.push({ name: relative, executable: (info.mode & 0o111) !== 0, source, ...common });
      bytes += info.uncompressedSize;
    }
  }
  const distInfo = entries.map((e) => e.name.split('/')[0]).find((top) => top.endsWith('.dist-info'));
  return { entries, bytes, distInfo, streamable };
}

/**
 * The layer's entries from several wheels, installed in this order (a later wheel's file replaces an earlier one's,
 * as on disk), below `python/`. Undefined when a file of one wheel is a folder of another: extraction decides those.
 */
export function layWheels(listings: readonly WheelListing[]): ArchivedEntry[] | undefined {
  const files = new Map<string, ArchivedEntry>();
  const folders = new Map<string, ArchivedEntry>();
  for (const listing of listings) {
    for (const entry of listing.entries) {
      const name = `${SITE_PACKAGES}/${entry.name}`;
      if (entry.name.endsWith('/')) folders.set(name, { ...entry, name });
      else files.set(name, { ...entry, name });
    }
  }
  for (const name of files.keys()) {
    if (folders.has(`${name}/`)) return undefined;
    // A file whose parent folder is another wheel's file.
    for (let at = name.indexOf('/', SITE_PACKAGES.length + 1); at > 0; at = name.indexOf('/', at + 1)) if (files.has(name.slice(0, at))) return undefined;
  }
  return [...folders.values(), ...files.values()];
}

/**
 * True when `strip` removes this site-packages entry: as stripSitePackages does on disk, anything inside a
 * `__pycache__` folder, or inside a test folder below a top-level package, never inside a `.dist-info` folder.
 */
export function strippedName(name: string): boolean {
  const parts = name.replace(/\/$/, '').split('/');
  // Only folders count: a file named `tests` is kept.
  const folders = name.endsWith('/') ? parts.length : parts.length - 1;
  for (let depth = 0; depth < folders; depth++) {
    const part = parts[depth];
    if (part.endsWith('.dist-info')) return false;
    if (part === '__pycache__' || (depth > 0 && TEST_FOLDERS.has(part))) return true;
  }
  return false;
}

/** The largest top-level items below `python/`, biggest first, as `name (12.3 MB)`; for size-limit messages. */
export function largestLaidOut(entries: readonly ArchivedEntry[], format: (bytes: number) => string, count = 5): string[] {
  const sizes = new Map<string, number>();
  for (const entry of entries) {
    const top = entry.name.slice(SITE_PACKAGES.length + 1).split('/')[0];
    sizes.set(top, (sizes.get(top) ?? 0) + (entry.name.endsWith('/') ? 0 : entry.uncompressedSize));
  }
  return [...sizes]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, size]) => `${name} (${format(size)})`);
}

/** A wheel's METADATA text, read from the wheel itself (nothing is extracted). */
export function metadataOf(listing: WheelListing, sources: ArchiveSources): string | undefined {
  if (!listing.distInfo) return undefined;
  const entry = listing.entries.find((e) => e.name === `${listing.distInfo}/METADATA`);
  return entry ? sources.content(entry).toString('utf8') : undefined;
}

/**
 * The ELF files among laid-out entries (by content, whatever their name, as findNativeFiles finds them on disk),
 * names relative to site-packages. Only the first bytes of each file are inflated, and ELF files whole.
 */
export function nativeFilesOf(entries: readonly ArchivedEntry[]): NativeFile[] {
  const sources = new ArchiveSources();
  const found: NativeFile[] = [];
  try {
    for (const entry of entries) {
      if (entry.name.endsWith('/') || entry.uncompressedSize < 4) continue;
      if (!isElf(sources.head(entry, 4))) continue;
      const file = entry.name.slice(SITE_PACKAGES.length + 1);
      try {
        found.push({ file, ...readElf(sources.content(entry)) });
      } catch (error) {
        if (error instanceof ElfFormatError) throw new BuildError(`${file} starts like an ELF file but cannot be read (${error.message}); the package ships a broken native file`);
        throw error;
      }
    }
  } finally {
    sources.close();
  }
  return found.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
