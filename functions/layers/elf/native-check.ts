import { closeSync, openSync, readSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Architecture } from '../kind';
import { BuildError } from '../kind';
import { ElfFormatError, fileReader, glibcNewer, glibcText, isElf, readElf, type ElfInfo } from './elf';

/** What native code must fit: the layer's architecture and the glibc of the runtime's Amazon Linux. */
export interface NativeTarget {
  architecture: Architecture;
  glibc: readonly [number, number];
  /** Names the runtime in messages, e.g. `nodejs18.x (Amazon Linux 2, glibc 2.26)`. */
  runtime: string;
}

export interface NativeFile extends ElfInfo {
  /** Relative to the folder checked, with `/`. */
  file: string;
}

/** One file that does not fit the target, and why. */
export interface NativeMismatch {
  file: string;
  reason: string;
}

function readElfFile(file: string): ElfInfo | undefined {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(4);
    if (readSync(fd, head, 0, 4, 0) < 4 || !isElf(head)) return undefined;
    return readElf(fileReader(fd));
  } finally {
    closeSync(fd);
  }
}

/** Every ELF file below `root` (by content, whatever its name), with its machine and glibc needs. */
export async function findNativeFiles(root: string): Promise<NativeFile[]> {
  const found: NativeFile[] = [];
  async function walk(dir: string): Promise<void> {
    for (const entry of (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const absolute = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(absolute);
      else if (entry.isFile()) {
        const rel = path.relative(root, absolute).split(path.sep).join('/');
        let info: ElfInfo | undefined;
        try {
          info = readElfFile(absolute);
        } catch (error) {
          if (error instanceof ElfFormatError) throw new BuildError(`${rel} starts like an ELF file but cannot be read (${error.message}); the package ships a broken native file`);
          throw error;
        }
        if (info) found.push({ file: rel, ...info });
      }
    }
  }
  await walk(root);
  return found;
}

/** Why one ELF file cannot load on the target, or undefined when it can. */
export function mismatchOf(file: NativeFile, target: NativeTarget): string | undefined {
  if (file.machine !== target.architecture || !file.is64) {
    return `is built for ${file.machine}${file.is64 ? '' : ' (32-bit)'}, not ${target.architecture}`;
  }
  if (file.maxGlibc && glibcNewer(file.maxGlibc, target.glibc)) {
    return `needs glibc ${glibcText(file.maxGlibc)}, newer than the ${glibcText(target.glibc)} of ${target.runtime}`;
  }
  return undefined;
}

/** Checks every ELF file of a folder against the target; returns the files found and the ones that do not fit. */
export async function checkNativeFiles(root: string, target: NativeTarget): Promise<{ files: NativeFile[]; mismatches: NativeMismatch[] }> {
  const files = await findNativeFiles(root);
  return { files, mismatches: mismatchesOf(files, target) };
}

function mismatchesOf(files: NativeFile[], target: NativeTarget): NativeMismatch[] {
  return files.flatMap((file) => {
    const reason = mismatchOf(file, target);
    return reason ? [{ file: file.file, reason }] : [];
  });
}

/**
 * The check layer kinds call: fails the build naming each native file that cannot load on the target (its
 * architecture, or the glibc it needs against the runtime's), and `advice` saying what to do.
 */
export async function assertNativeFilesFit(root: string, target: NativeTarget, label: string, advice: string): Promise<NativeFile[]> {
  return assertNativeFit(await findNativeFiles(root), target, label, advice);
}

/** The same check on native files found some other way (e.g. read from the archives of a streamed layer). */
export function assertNativeFit(files: NativeFile[], target: NativeTarget, label: string, advice: string): NativeFile[] {
  const mismatches = mismatchesOf(files, target);
  if (mismatches.length > 0) {
    const listed = mismatches.slice(0, 10).map((m) => `${m.file} ${m.reason}`);
    const more = mismatches.length > 10 ? ` (and ${mismatches.length - 10} more)` : '';
    throw new BuildError(`${label}: native code that cannot load on ${target.runtime} ${target.architecture}: ${listed.join('; ')}${more}. ${advice}`);
  }
  return files;
}
