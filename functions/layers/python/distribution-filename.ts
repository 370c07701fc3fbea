import { normalizeName } from './pep508';
import { isValidVersion } from './pep440';

/**
 * Distribution file names: wheels (PEP 427 / the binary distribution format, with PEP 425 compressed tag sets) and
 * source distributions (PEP 625, plus the legacy `.zip`/`.tar.bz2` spellings still found on indexes).
 */

export interface WheelFilename {
  kind: 'wheel';
  filename: string;
  /** PEP 503 normalized project name. */
  key: string;
  version: string;
  /** Build tag as a sort key: [number, rest], or null when absent. */
  build: [number, string] | null;
  /** Every `python-abi-platform` tag the compressed tag set expands to. */
  tags: string[];
}

export interface SdistFilename {
  kind: 'sdist';
  filename: string;
  key: string;
  version: string;
}

const SDIST_SUFFIXES = ['.tar.gz', '.zip', '.tar.bz2', '.tar.xz', '.tgz', '.tar'];

/** Parses a wheel file name; null when it is not a well-formed wheel name. */
export function parseWheelFilename(filename: string): WheelFilename | null {
  if (!filename.endsWith('.whl')) return null;
  const parts = filename.slice(0, -4).split('-');
  if (parts.length !== 5 && parts.length !== 6) return null;
  const [name, version] = parts;
  const [python, abi, platform] = parts.slice(-3);
  if (!name || !isValidVersion(version)) return null;
  let build: [number, string] | null = null;
  if (parts.length === 6) {
    const match = /^(\d+)(.*)$/.exec(parts[2]);
    if (!match) return null;
    build = [Number(match[1]), match[2]];
  }
  const tags: string[] = [];
  for (const p of python.split('.')) for (const a of abi.split('.')) for (const pl of platform.split('.')) tags.push(`${p}-${a}-${pl}`);
  return { kind: 'wheel', filename, key: normalizeName(name), version, build, tags };
}

/**
 * Parses a source distribution name for `projectKey` (needed because both name and version may contain `-` in
 * legacy sdists); null when the file is not an sdist of that project.
 */
export function parseSdistFilename(filename: string, projectKey: string): SdistFilename | null {
  const suffix = SDIST_SUFFIXES.find((s) => filename.toLowerCase().endsWith(s));
  if (!suffix) return null;
  const stem = filename.slice(0, -suffix.length);
  for (let i = stem.indexOf('-'); i !== -1; i = stem.indexOf('-', i + 1)) {
    if (normalizeName(stem.slice(0, i)) === projectKey && isValidVersion(stem.slice(i + 1))) {
      return { kind: 'sdist', filename, key: projectKey, version: stem.slice(i + 1) };
    }
  }
  return null;
}

/** Orders build tags as the wheel spec says: absent < present, then by number, then by the rest. */
export function compareBuildTags(a: WheelFilename['build'], b: WheelFilename['build']): number {
  if (!a || !b) return (a ? 1 : 0) - (b ? 1 : 0);
  return a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
}
