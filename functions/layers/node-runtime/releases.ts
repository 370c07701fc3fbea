import * as semver from 'semver';
import type { Architecture } from '../kind';
import { BuildError } from '../kind';
import { fetchText, sha256Integrity, type Integrity } from './download';

export const DEFAULT_NODE_DIST_URL = 'https://nodejs.org/dist';
export const DEFAULT_NPM_REGISTRY_URL = 'https://registry.npmjs.org';

/** Where a Node.js binary comes from: the npm registry's node-linux-<arch> packages, or the distribution site. */
export type NodeSource = 'npm' | 'dist';

/** Lambda's architecture names to Node.js's. */
export const NODE_ARCH: Record<Architecture, 'x64' | 'arm64'> = { x86_64: 'x64', arm64: 'arm64' };

/** One downloadable Node.js build, pinned: the archive and the digest it must have. */
export interface NodeRelease {
  version: string;
  source: NodeSource;
  url: string;
  integrity: Integrity;
  /** Leading path components inside the archive (`package/` or `node-v<version>-linux-<arch>/`). */
  strip: 1;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** The npm package holding the Linux binary for an architecture. */
export function npmPackageName(arch: Architecture): string {
  return `node-linux-${NODE_ARCH[arch]}`;
}

/**
 * Picks the release a catalog asks for: an exact version must exist; a major line (`22`) means its newest release.
 * Otherwise the error names the nearest versions that do exist.
 */
export function pickVersion(requested: string, available: string[], where: string): string {
  const versions = available.filter((version) => semver.valid(version) && !semver.prerelease(version));
  if (/^\d+$/.test(requested)) {
    const line = versions.filter((version) => semver.major(version) === Number(requested));
    if (line.length > 0) return semver.rsort(line)[0];
    const newestPerLine = new Map<number, string>();
    for (const version of semver.rsort([...versions])) {
      if (!newestPerLine.has(semver.major(version))) newestPerLine.set(semver.major(version), version);
    }
    const nearest = [...newestPerLine.entries()]
      .sort((a, b) => Math.abs(a[0] - Number(requested)) - Math.abs(b[0] - Number(requested)) || b[0] - a[0])
      .slice(0, 3)
      .map(([, version]) => version)
      .sort(semver.compare);
    throw new BuildError(`Node.js ${requested} has no release on ${where}; nearest lines that exist: ${nearest.join(', ') || 'none'}`);
  }
  if (versions.includes(requested)) return requested;
  const wanted = semver.parse(requested);
  if (!wanted) throw new BuildError(`Node.js version ${JSON.stringify(requested)} is neither an exact version (12.16.1) nor a major line (22)`);
  const distance = (version: string): number[] => {
    const v = semver.parse(version)!;
    return [Math.abs(v.major - wanted.major), Math.abs(v.minor - wanted.minor), Math.abs(v.patch - wanted.patch)];
  };
  const nearest = [...versions]
    .sort((a, b) => {
      const da = distance(a);
      const db = distance(b);
      return da[0] - db[0] || da[1] - db[1] || da[2] - db[2] || semver.rcompare(a, b);
    })
    .slice(0, 3)
    .sort(semver.compare);
  throw new BuildError(`Node.js ${requested} does not exist on ${where}; nearest versions that exist: ${nearest.join(', ') || 'none'}`);
}

interface Packument {
  versions?: Record<string, { dist?: { tarball?: string; integrity?: string } }>;
}

async function resolveFromNpm(requested: string, arch: Architecture, registryUrl: string): Promise<NodeRelease> {
  const name = npmPackageName(arch);
  const url = `${trimSlash(registryUrl)}/${name}`;
  // The abbreviated document: versions with their dist, without the readme and the rest.
  const text = await fetchText(url, { Accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8' });
  const packument = JSON.parse(text) as Packument;
  const versions = packument.versions ?? {};
  const version = pickVersion(requested, Object.keys(versions), `the npm registry's ${name} package (${registryUrl})`);
  const dist = versions[version].dist ?? {};
  if (!dist.tarball || !dist.integrity || !dist.integrity.startsWith('sha512-')) {
    throw new BuildError(`${name}@${version} on ${registryUrl} has no tarball with a sha512 integrity; refusing an unverifiable download`);
  }
  return { version, source: 'npm', url: dist.tarball, integrity: dist.integrity, strip: 1 };
}

interface DistIndexEntry {
  version: string;
  files?: string[];
}

async function resolveFromDist(requested: string, arch: Architecture, distUrl: string): Promise<NodeRelease> {
  const base = trimSlash(distUrl);
  const platform = `linux-${NODE_ARCH[arch]}`;
  const index = JSON.parse(await fetchText(`${base}/index.json`)) as DistIndexEntry[];
  const available = index.filter((entry) => !entry.files || entry.files.includes(platform)).map((entry) => entry.version.replace(/^v/, ''));
  const version = pickVersion(requested, available, `${base} (${platform})`);
  const file = `node-v${version}-${platform}.tar.gz`;
  const shasumsUrl = `${base}/v${version}/SHASUMS256.txt`;
  const shasums = await fetchText(shasumsUrl);
  const line = shasums.split('\n').map((row) => row.trim().split(/\s+/)).find((parts) => parts.length === 2 && parts[1].replace(/^\*/, '') === file);
  if (!line || !/^[0-9a-f]{64}$/i.test(line[0])) {
    throw new BuildError(`${shasumsUrl} lists no sha256 for ${file}; refusing an unverifiable download`);
  }
  return { version, source: 'dist', url: `${base}/v${version}/${file}`, integrity: sha256Integrity(line[0].toLowerCase()), strip: 1 };
}

/** Pins a Node.js release for a source, version (or line) and architecture, with the digest its archive must have. */
export async function resolveNodeRelease(
  source: NodeSource,
  requested: string,
  arch: Architecture,
  urls: { npmRegistryUrl?: string; nodeDistUrl?: string } = {},
): Promise<NodeRelease> {
  return source === 'npm'
    ? resolveFromNpm(requested, arch, urls.npmRegistryUrl ?? DEFAULT_NPM_REGISTRY_URL)
    : resolveFromDist(requested, arch, urls.nodeDistUrl ?? DEFAULT_NODE_DIST_URL);
}
