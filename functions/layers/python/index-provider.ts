import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Architecture } from '../kind';
import { parseCoreMetadata, type CoreMetadata } from './core-metadata';
import { compareBuildTags, parseSdistFilename, parseWheelFilename, type WheelFilename } from './distribution-filename';
import type { IndexClient } from './index-client';
import { compareVersions, filterVersions, isPrerelease, isValidSpecifier, satisfiesAll, specifierClauses, versionKey } from './pep440';
import { parseRequirement, type Requirement } from './pep508';
import type { Candidate, Explanation, ResolverProvider } from './resolver';
import type { IndexFile } from './simple-api';
import { PYTHON_RUNTIMES } from './lambda-runtimes';
import { tagPriorities } from './platform-tags';
import { readWheelMetadata } from './wheel-metadata';
import { sharedPromise } from '../../shared/handler-runtime';

/** The Python environment a layer is resolved for. */
export interface PythonTargetEnv {
  runtime: string;
  pythonVersion: string;
  pythonFullVersion: string;
  architecture: Architecture;
  /** Accepted wheel tags, best first. */
  tags: string[];
  /** glibc of the runtime, for messages about wheels that need a newer one. */
  glibc?: readonly [number, number];
}

/** A project version with the one wheel lamina would install for the target. */
export interface WheelCandidate extends Candidate {
  key: string;
  file: IndexFile;
  wheel: WheelFilename;
}

/** Path of a verified wheel in the cache (named by its sha256, so a cached file is a verified file). */
export function cachedWheelPath(cacheDir: string, file: IndexFile): string {
  return path.join(cacheDir, 'wheels', file.hashes.sha256 ?? 'unverified', file.filename);
}

/** Downloads a wheel into the cache unless it is there already; returns its path. */
export async function fetchWheel(client: IndexClient, cacheDir: string, file: IndexFile): Promise<string> {
  const dest = cachedWheelPath(cacheDir, file);
  const present = await fs.stat(dest).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!present) await client.download(file, dest);
  return dest;
}

function requiresPythonAllows(requiresPython: string | undefined, fullVersion: string): boolean {
  if (!requiresPython) return true;
  const clauses = specifierClauses(requiresPython.replace(/\s+/g, ''));
  // An unreadable Requires-Python is ignored, as pip does.
  if (!isValidSpecifier(clauses.join(','))) return true;
  return satisfiesAll(fullVersion, clauses);
}

/**
 * The resolver's provider backed by a package index: candidates are versions with a wheel the target accepts,
 * the most specific wheel per version (pip's tag priority, then build tag); dependencies come from PEP 658
 * metadata files, falling back to the wheel itself (downloaded once into the cache, reused by the build).
 */
export class IndexProvider implements ResolverProvider<WheelCandidate> {
  private readonly priorities: Map<string, number>;
  private readonly metadata = new Map<string, Promise<CoreMetadata>>();

  constructor(
    readonly client: IndexClient,
    readonly target: PythonTargetEnv,
    readonly cacheDir: string,
    private readonly log: (message: string) => void = () => {},
  ) {
    this.priorities = tagPriorities(target.tags);
  }

  /**
   * Starts fetching a project the resolver will need, and the metadata of its newest release (the one it most
   * likely picks), so that metadata requests overlap instead of running one after another.
   */
  prefetch(key: string): void {
    this.candidates(key)
      .then((candidates) => {
        const finals = candidates.filter((c) => !c.yanked && !isPrerelease(c.version));
        const newest = finals.reduce<WheelCandidate | undefined>((best, c) => (!best || compareVersions(c.version, best.version) > 0 ? c : best), undefined);
        if (newest && newest.file.coreMetadata) return this.coreMetadata(newest);
        return undefined;
      })
      .catch(() => {});
  }

  private priorityOf(wheel: WheelFilename): number | undefined {
    let best: number | undefined;
    for (const tag of wheel.tags) {
      const priority = this.priorities.get(tag);
      if (priority !== undefined && (best === undefined || priority < best)) best = priority;
    }
    return best;
  }

  async candidates(key: string): Promise<WheelCandidate[]> {
    const page = await this.client.project(key);
    const byVersion = new Map<string, { candidate: WheelCandidate; priority: number }>();
    for (const file of page.files) {
      const wheel = parseWheelFilename(file.filename);
      if (!wheel || wheel.key !== key) continue;
      const priority = this.priorityOf(wheel);
      if (priority === undefined || !requiresPythonAllows(file.requiresPython, this.target.pythonFullVersion)) continue;
      const candidate: WheelCandidate = { key, version: wheel.version, yanked: file.yanked !== false, file, wheel };
      // One version may be spelled differently in different files (1.0 / 1.0.0): group by PEP 440 equality.
      const groupKey = versionKey(wheel.version);
      const existing = byVersion.get(groupKey);
      if (!existing || better(candidate, priority, existing.candidate, existing.priority)) byVersion.set(groupKey, { candidate, priority });
    }
    return [...byVersion.values()].map((v) => v.candidate);
  }

  /** The core metadata of a candidate: PEP 658 file when the index has one, else read from the wheel. */
  coreMetadata(candidate: WheelCandidate): Promise<CoreMetadata> {
    return sharedPromise(this.metadata, candidate.file.url, () => this.loadMetadata(candidate));
  }

  private async loadMetadata(candidate: WheelCandidate): Promise<CoreMetadata> {
    const { file } = candidate;
    let text: string | undefined;
    if (file.coreMetadata) {
      text = await this.client.text(`${file.url}.metadata`, file.coreMetadata.hashes.sha256);
    } else {
      if (!INDEXES_WITHOUT_METADATA.has(this.client.indexUrl)) {
        INDEXES_WITHOUT_METADATA.add(this.client.indexUrl);
        this.log(`the index ${this.client.indexUrl} has no metadata files (PEP 658) for some wheels, first ${file.filename}; lamina downloads those wheels to read their dependencies`);
      }
      text = await readWheelMetadata(await fetchWheel(this.client, this.cacheDir, file));
      if (text === undefined) throw new Error(`${file.filename} has no .dist-info/METADATA; it is not a valid wheel`);
    }
    return parseCoreMetadata(text);
  }

  async dependencies(key: string, candidate: WheelCandidate): Promise<{ requires: Requirement[] } | { unusable: string }> {
    const metadata = await this.coreMetadata(candidate);
    if (!requiresPythonAllows(metadata.requiresPython, this.target.pythonFullVersion)) {
      return { unusable: `requires Python ${metadata.requiresPython}, the target has ${this.target.pythonFullVersion}` };
    }
    const requires: Requirement[] = [];
    for (const text of metadata.requiresDist) {
      try {
        requires.push(parseRequirement(text));
      } catch (error) {
        this.log(`${key} ${candidate.version}: ignoring unreadable Requires-Dist ${JSON.stringify(text)} (${(error as Error).message})`);
      }
    }
    return { requires };
  }


  async explainNoCandidates(key: string, clauses: string[], considered: WheelCandidate[]): Promise<Explanation> {
    const page = await this.client.project(key);
    const target = `${this.target.runtime} ${this.target.architecture}`;
    const tried = summarizeTags(this.target.tags);
    const files = new Map<string, string[]>();
    for (const file of page.files) {
      const parsed = parseWheelFilename(file.filename) ?? parseSdistFilename(file.filename, key);
      if (!parsed || parsed.key !== key) continue;
      const list = files.get(parsed.version) ?? [];
      list.push(file.filename + (file.yanked !== false ? ' (yanked)' : ''));
      files.set(parsed.version, list);
    }
    const allVersions = [...files.keys()].sort(compareVersions);
    const wanted = clauses.length ? clauses.join(',') : 'any version';
    const matchingAnyFile = filterVersions(allVersions, (v) => v, clauses, true);
    const usable = considered.map((c) => c.version).sort(compareVersions);
    if (allVersions.length === 0) return { reason: 'no-version', text: `the index ${this.client.indexUrl} lists no files for ${key}; check the name and the index.` };
    if (matchingAnyFile.length === 0) {
      return { reason: 'no-version', text: `${key} has no version matching ${wanted} on ${this.client.indexUrl} (it has ${tail(allVersions)}); change the version in the requirement.` };
    }
    let neededGlibc: number | undefined;
    const described = matchingAnyFile
      .slice(-3)
      .map((v) => {
        const names = files.get(v)!;
        const needs = this.glibcNeeded(names);
        if (needs !== undefined) neededGlibc = Math.max(neededGlibc ?? 0, needs);
        const glibcText = needs !== undefined ? `; its Linux wheels need glibc 2.${needs} and ${this.target.runtime} has 2.${this.target.glibc![1]}` : '';
        const reason = names.every((n) => !/\.whl( \(yanked\))?$/.test(n)) ? 'only a source distribution, and lamina installs wheels only' : `no wheel for ${target}${glibcText}`;
        return `${key} ${v}: ${reason} (files: ${names.slice(0, 4).join(', ')}${names.length > 4 ? ', ...' : ''})`;
      })
      .join('; ');
    const usableText = usable.length ? ` Versions with a compatible wheel: ${tail(usable)}.` : '';
    return {
      reason: 'no-wheel',
      text: `${described}. Tags tried: ${tried}.${usableText}`,
      advice: `Pick a version with a wheel for ${target}${this.glibcAdvice(key, neededGlibc)}, or drop ${this.target.runtime}/${this.target.architecture} from the entry.`,
    };
  }

  /**
   * The minor glibc version (2.x) the oldest Linux wheel for the target's architecture needs, when that is newer
   * than the runtime's; undefined when glibc is not why the wheels do not fit.
   */
  private glibcNeeded(filenames: string[]): number | undefined {
    const glibc = this.target.glibc;
    if (!glibc) return undefined;
    const machine = this.target.architecture === 'arm64' ? 'aarch64' : 'x86_64';
    let oldest: number | undefined;
    for (const name of filenames) {
      for (const match of name.matchAll(MANYLINUX)) {
        if (match[3] === machine && Number(match[1]) === glibc[0]) oldest = Math.min(oldest ?? Infinity, Number(match[2]));
      }
    }
    return oldest === undefined || oldest <= glibc[1] ? undefined : oldest;
  }

  /** A newer Python runtime helps only where one has the glibc the wheels need. */
  private glibcAdvice(key: string, needed: number | undefined): string {
    if (needed === undefined) return '';
    const newest = NEWEST_GLIBC_RUNTIME;
    if (needed > newest.glibc[1]) {
      return ` (its Linux wheels need glibc 2.${needed}, newer than any Lambda runtime has: the newest, ${newest.os}, has 2.${newest.glibc[1]}; pin an older ${key})`;
    }
    const runtimes = PYTHON_RUNTIMES.filter((r) => r.glibc[1] >= needed).map((r) => r.runtime);
    return ` or use a newer Python runtime with glibc 2.${needed} or later (${runtimes.join(', ')})`;
  }
}

/** Indexes already said to lack PEP 658 metadata: one line per index, not one per distribution. */
const INDEXES_WITHOUT_METADATA = new Set<string>();

const MANYLINUX = /manylinux_(\d+)_(\d+)_(x86_64|aarch64)/g;

/** The Lambda Python runtime with the newest glibc. */
const NEWEST_GLIBC_RUNTIME = PYTHON_RUNTIMES.reduce((a, b) => (b.glibc[1] > a.glibc[1] ? b : a));

function better(a: WheelCandidate, aPriority: number, b: WheelCandidate, bPriority: number): boolean {
  if (a.yanked !== b.yanked) return !a.yanked;
  if (aPriority !== bPriority) return aPriority < bPriority;
  return compareBuildTags(a.wheel.build, b.wheel.build) > 0;
}

function tail(versions: string[]): string {
  return versions.length > 8 ? `${versions.slice(0, 2).join(', ')}, ..., ${versions.slice(-5).join(', ')}` : versions.join(', ');
}

/** A short description of a tag list: the first few and the last, with the count. */
export function summarizeTags(tags: string[]): string {
  if (tags.length <= 6) return tags.join(', ');
  return `${tags.slice(0, 3).join(', ')}, ..., ${tags.slice(-2).join(', ')} (${tags.length} tags)`;
}
