import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { extractZip } from '../../archive/extract-zip';
import type { RawZipEntry } from '../../archive/raw-entry';

/**
 * Installs wheels (the binary distribution format, PEP 427) into a layer's `python/` folder without running any
 * code: purelib and platlib both land in the folder (it is sys.path on Lambda), `.dist-info` is kept, scripts,
 * headers and data files are left out (a layer has no prefix for them). Extraction streams entry by entry and
 * refuses any entry or link that would land outside the folder.
 */

const DATA_ENTRY = /^[^/]+\.data\/(purelib|platlib|scripts|headers|data)(?:\/(.*))?$/;

/** Where a wheel entry goes inside the site-packages folder, or null when a layer has no place for it. */
export function installedName(entry: string): string | null {
  const match = DATA_ENTRY.exec(entry.replace(/\\/g, '/'));
  if (!match) return entry;
  if (match[1] === 'purelib' || match[1] === 'platlib') return match[2] ? match[2] : null;
  return null;
}

export interface InstalledWheel {
  /** Installed files, relative to the site-packages folder. */
  files: string[];
  /** The `.dist-info` folder name. */
  distInfo?: string;
  /** Where each installed file's compressed bytes are in the wheel (names relative to the site-packages folder). */
  raw: RawZipEntry[];
}

/** Installs one wheel into `sitePackages`. `label` names the wheel in errors. */
export async function installWheel(wheelPath: string, sitePackages: string, label = path.basename(wheelPath)): Promise<InstalledWheel> {
  const raw: RawZipEntry[] = [];
  const files = await extractZip(wheelPath, sitePackages, { label, rename: installedName, onFile: (entry) => raw.push(entry) });
  const distInfo = files.map((f) => f.split('/')[0]).find((top) => top.endsWith('.dist-info'));
  return { files, distInfo, raw };
}

/** Total size of the regular files below `dir` (links are not followed). */
export async function directorySize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await directorySize(full);
    else if (entry.isFile()) total += (await fs.stat(full)).size;
  }
  return total;
}

/** The largest top-level items of a folder, biggest first, as `name (12.3 MB)`; for size-limit messages. */
export async function largestItems(dir: string, count = 5): Promise<string[]> {
  const sizes: Array<[string, number]> = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    sizes.push([entry.name, entry.isDirectory() ? await directorySize(full) : entry.isFile() ? (await fs.stat(full)).size : 0]);
  }
  return sizes
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, size]) => `${name} (${formatBytes(size)})`);
}

/** `12.3 MB`, or `45.6 kB` below a megabyte. */
export function formatBytes(bytes: number): string {
  return bytes < 1_000_000 ? `${(bytes / 1000).toFixed(1)} kB` : `${(bytes / 1_000_000).toFixed(1)} MB`;
}

// Not `testing`: packages such as numpy.testing are imported at run time.
export const TEST_FOLDERS: ReadonlySet<string> = new Set(['tests', 'test']);

/**
 * Removes what a layer does not need at run time: `__pycache__` folders (Lambda cannot write its own cache to /opt
 * either way, and stale bytecode for another Python version is useless) and test folders inside packages. Top-level
 * packages are never removed, whatever their name. Returns the bytes freed.
 */
export async function stripSitePackages(sitePackages: string): Promise<number> {
  let freed = 0;
  async function walk(dir: string, depth: number): Promise<void> {
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const full = path.join(dir, entry.name);
      if (entry.name.endsWith('.dist-info')) continue;
      if (entry.name === '__pycache__' || (depth > 0 && TEST_FOLDERS.has(entry.name))) {
        freed += await directorySize(full);
        await fs.rm(full, { recursive: true, force: true });
        continue;
      }
      await walk(full, depth + 1);
    }
  }
  await walk(sitePackages, 0);
  return freed;
}
