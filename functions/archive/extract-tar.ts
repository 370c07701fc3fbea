import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tar from 'tar';
import { assertLinkInside, resolveInside } from './safe-path';
import { BuildError } from '../layers/kind';

export interface TarExtractOptions {
  /** Name used in error messages, e.g. the archive's file name. */
  label?: string;
  /** Leading path components to drop, as `tar --strip-components`. */
  strip?: number;
  /** Decides, on the stripped name, whether an entry is written; every entry is checked either way. */
  keep?: (name: string) => boolean;
}

const ALLOWED_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

function stripped(name: string, strip: number): string {
  return name.split('/').slice(strip).join('/');
}

/**
 * Checks every entry of a tar(.gz) archive before anything is written: no entry may land outside `dest` (absolute
 * names, `..` that climbs out, before or after stripping), no link may point outside it, and only files, folders
 * and links are allowed. Throws BuildError naming the first bad entry.
 */
export async function checkTar(archive: string, dest: string, options: TarExtractOptions = {}): Promise<void> {
  const label = options.label ?? path.basename(archive);
  const strip = options.strip ?? 0;
  let problem: Error | undefined;
  const listing = tar.t({
    file: archive,
    strict: true,
    onReadEntry: (entry) => {
      entry.resume();
      if (problem) return;
      try {
        if (!ALLOWED_TYPES.has(entry.type)) {
          throw new BuildError(`${label}: entry ${JSON.stringify(entry.path)} is a ${entry.type}; only files, folders and links are allowed`);
        }
        resolveInside(dest, entry.path, label);
        const name = stripped(entry.path, strip);
        if (name === '') return;
        const target = resolveInside(dest, name, label);
        if (entry.type === 'SymbolicLink') {
          assertLinkInside(dest, target, entry.linkpath ?? '', label);
        } else if (entry.type === 'Link') {
          // A hard link names another entry of the archive, relative to the archive's root.
          resolveInside(dest, entry.linkpath ?? '', label);
          resolveInside(dest, stripped(entry.linkpath ?? '', strip), label);
        }
      } catch (error) {
        problem = error as Error;
      }
    },
  });
  try {
    await listing;
  } catch (error) {
    throw new BuildError(`${label}: not a readable tar archive: ${(error as Error).message}`);
  }
  if (problem) throw problem;
}

/**
 * Extracts a tar(.gz) archive into `dest` after `checkTar` found every entry safe; node-tar's own path protections
 * stay on as a second line. Returns the names written (after stripping).
 */
export async function extractTar(archive: string, dest: string, options: TarExtractOptions = {}): Promise<string[]> {
  const label = options.label ?? path.basename(archive);
  const strip = options.strip ?? 0;
  await checkTar(archive, dest, options);
  await fs.mkdir(dest, { recursive: true });
  const written: string[] = [];
  try {
    await tar.x({
      file: archive,
      cwd: dest,
      strip,
      strict: true,
      preservePaths: false,
      preserveOwner: false,
      filter: (name) => {
        const rest = stripped(name, strip);
        const keep = rest !== '' && (!options.keep || options.keep(rest.replace(/\/$/, '')));
        if (keep) written.push(rest.replace(/\/$/, ''));
        return keep;
      },
    });
  } catch (error) {
    throw new BuildError(`${label}: cannot extract: ${(error as Error).message}`);
  }
  return written;
}
