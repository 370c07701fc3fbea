import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import Arborist from '@npmcli/arborist';
import npa from 'npm-package-arg';
import { checkPlatform } from 'npm-install-checks';
import * as pacote from 'pacote';
import * as semver from 'semver';
import { BuildError } from '../kind';

/** The platform an npm layer is for, in npm's words (`--os`, `--cpu`, `--libc`) plus the Node.js it runs on. */
export interface NpmTarget {
  os: 'linux';
  cpu: 'x64' | 'arm64';
  libc: 'glibc';
  /** The Node.js version engines are checked against (the newest of the runtime's line). */
  nodeVersion: string;
  registry: string;
  /** pacote/cacache cache folder, shared between builds. */
  cache: string;
}

/** One package of the resolved tree: where npm puts it and the tarball it comes from. The tree is what Plan hashes. */
export interface TreePackage {
  /** `node_modules/a/node_modules/@s/b`, as in package-lock.json. */
  location: string;
  name: string;
  version: string;
  resolved: string;
  integrity: string;
  /** Installed only because it fits the target (npm's optional platform packages). */
  optional: boolean;
  license?: string;
  /** Names (locations) of the packages this one's dependency edges lead to in the tree. */
  dependencies: string[];
}

/** A bad package spec in the catalog (it does not parse, or is not from a registry). */
export class SpecError extends BuildError {}

/** Parses one catalog spec with npm's own parser; only registry specs (version, range, tag, alias) are allowed. */
export function parseSpec(spec: string): npa.Result {
  let parsed: npa.Result;
  try {
    parsed = npa(spec);
  } catch (error) {
    throw new SpecError(`package spec ${JSON.stringify(spec)} does not parse (${(error as Error).message}); write name, name@version or name@range, e.g. "express@^4.21" or "@aws-sdk/client-s3@3"`);
  }
  if (!parsed.registry || !parsed.name) {
    throw new SpecError(
      `package spec ${JSON.stringify(spec)} is a ${parsed.type} spec; an npm layer installs from the registry only (name, name@version, name@range or name@tag), so every tarball has an integrity to check`,
    );
  }
  return parsed;
}

function pacoteOptions(target: NpmTarget) {
  return { registry: target.registry, cache: target.cache, fullMetadata: false, preferOnline: true };
}

/** What Arborist and pacote say when a package or a version does not exist, in lamina's words. */
export function explainRegistryError(error: unknown, what: string, target: NpmTarget): never {
  // An integrity failure can arrive wrapped by an emitter that had no 'error' listener yet.
  const wrapped = error as { code?: string; context?: unknown };
  const err = (wrapped?.code === 'ERR_UNHANDLED_ERROR' && wrapped.context instanceof Error ? wrapped.context : error) as { code?: string; message?: string; statusCode?: number };
  if (error instanceof BuildError) throw error;
  if (err.code === 'E404') throw new BuildError(`${what}: no such package on ${target.registry}; check the name's spelling (scoped names look like @scope/name)`);
  if (err.code === 'ETARGET') {
    throw new BuildError(`${what}: ${err.message?.replace(/^No matching version found for /, 'no version matches ').replace(/\.$/, '')} on ${target.registry}; pick a version that exists (npm view <name> versions)`);
  }
  if (err.code === 'EINTEGRITY') throw new BuildError(`${what}: integrity mismatch: ${err.message}; the tarball on the registry does not match its recorded integrity, nothing was installed. Retry; if it persists report it to the registry or pin another version`);
  if (err.code === 'ERESOLVE') throw new BuildError(`${what}: the dependencies conflict as npm resolves them (${err.message?.split('\n')[0]}); align the versions of the packages named, as you would for npm install`);
  if (err.code === 'EBADPLATFORM') throw new BuildError(`${what}: ${err.message}; a package in the tree is restricted to other platforms`);
  if (err.code === 'ECONNREFUSED' || err.code === 'ENOTFOUND' || err.code === 'ETIMEDOUT' || err.code === 'EAI_AGAIN') {
    throw new BuildError(`${what}: cannot reach ${target.registry} (${err.code}); check the network or the configured registry`);
  }
  throw new BuildError(`${what}: ${err.message ?? String(error)}`);
}

function describePlatform(pkg: { os?: unknown; cpu?: unknown; libc?: unknown }): string {
  return (['os', 'cpu', 'libc'] as const)
    .filter((key) => pkg[key] !== undefined)
    .map((key) => `${key} ${JSON.stringify(pkg[key])}`)
    .join(', ');
}

function fitsPlatform(pkg: { os?: string[]; cpu?: string[]; libc?: string[] }, target: NpmTarget): boolean {
  try {
    checkPlatform(pkg as Parameters<typeof checkPlatform>[0], false, { os: target.os, cpu: target.cpu, libc: target.libc });
    return true;
  } catch {
    return false;
  }
}

function licenseOf(pkg: { license?: unknown; licenses?: unknown }): string | undefined {
  if (typeof pkg.license === 'string') return pkg.license;
  if (pkg.license && typeof pkg.license === 'object' && typeof (pkg.license as { type?: unknown }).type === 'string') return (pkg.license as { type: string }).type;
  if (Array.isArray(pkg.licenses)) {
    const types = pkg.licenses.map((l) => (typeof l === 'string' ? l : (l as { type?: string })?.type)).filter((t): t is string => !!t);
    if (types.length) return types.length === 1 ? types[0] : `(${types.join(' OR ')})`;
  }
  return undefined;
}

export interface ResolvedTree {
  packages: TreePackage[];
  /** The top-level packages the entry asks for, by name. */
  direct: string[];
}

/**
 * The tree npm installs for `npm install --os=linux --cpu=<cpu> --libc=glibc --omit=dev --ignore-scripts` of these
 * specs (or of this package-lock.json) in an empty folder, resolved by npm's own Arborist without installing it.
 *
 * Two checks npm makes against the machine it runs on are made against the target instead, on purpose: a top-level
 * package's own os/cpu/libc (npm would refuse `@img/sharp-linux-arm64` on x64), and every package's engines
 * (against the target Node.js version; a mismatch fails instead of warning, because the layer would not load).
 */
export async function resolveTree(source: { specs: string[] } | { lockfile: string }, target: NpmTarget, workDir: string, label: string): Promise<ResolvedTree> {
  const dir = path.join(workDir, 'npm-resolve');
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  const dependencies: Record<string, string> = {};
  const optionalDependencies: Record<string, string> = {};
  let direct: string[];
  // Packages that must be in the tree: every spec asked for, and a lockfile's non-optional dependencies.
  let required: string[];
  if ('specs' in source) {
    // In the catalog's order: the first package names the layer.
    const parsedSpecs = source.specs.map((spec) => parseSpec(spec));
    direct = parsedSpecs.map((parsed) => parsed.name!);
    await Promise.all(
      source.specs.map(async (spec, index) => {
        const parsed = parsedSpecs[index];
        const name = parsed.name!;
        let manifest: pacote.AbbreviatedManifest & { os?: string[]; cpu?: string[]; libc?: string[] };
        try {
          manifest = (await pacote.manifest(spec, pacoteOptions(target))) as typeof manifest;
        } catch (error) {
          explainRegistryError(error, `${label}: ${spec}`, target);
        }
        const range = parsed.rawSpec === '' ? '*' : parsed.rawSpec;
        if (manifest.os || manifest.cpu || manifest.libc) {
          if (!fitsPlatform(manifest, target)) {
            throw new BuildError(
              `${label}: ${manifest.name}@${manifest.version} is built only for ${describePlatform(manifest)}, not ${target.os} ${target.cpu} ${target.libc}; ask for the package that depends on it (e.g. sharp, not @img/sharp-<platform>) or build this entry for the platform it names`,
            );
          }
          // Arborist checks a non-optional package's platform against this machine; as an optional dependency it is
          // checked against the target, and lamina checks below that it was kept.
          optionalDependencies[name] = range;
        } else dependencies[name] = range;
      }),
    );
    required = direct;
    await fs.writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'lamina-layer', version: '0.0.0', private: true, dependencies, optionalDependencies }, null, 2));
  } else {
    let lock: { packages?: Record<string, Record<string, unknown>>; lockfileVersion?: number };
    try {
      lock = JSON.parse(source.lockfile);
    } catch (error) {
      throw new BuildError(`${label}: the lockfile is not JSON (${(error as Error).message}); give a package-lock.json written by npm 7 or later`);
    }
    const root = lock.packages?.[''];
    if (!root || (lock.lockfileVersion ?? 0) < 2) throw new BuildError(`${label}: the lockfile has no "packages" section (lockfileVersion ${lock.lockfileVersion ?? 'missing'}); regenerate it with npm 7 or later`);
    const rootPackage = { name: 'lamina-layer', version: '0.0.0', private: true, dependencies: root.dependencies ?? {}, optionalDependencies: root.optionalDependencies ?? {}, peerDependencies: root.peerDependencies ?? {} };
    direct = Object.keys({ ...rootPackage.dependencies, ...rootPackage.optionalDependencies });
    required = Object.keys(rootPackage.dependencies);
    lock.packages![''] = { ...root, name: 'lamina-layer', version: '0.0.0' };
    await fs.writeFile(path.join(dir, 'package.json'), JSON.stringify(rootPackage, null, 2));
    await fs.writeFile(path.join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2));
  }

  const arborist = new Arborist({
    path: dir,
    ...pacoteOptions(target),
    os: target.os,
    cpu: target.cpu,
    libc: target.libc,
    omit: ['dev'],
    ignoreScripts: true,
    nodeVersion: target.nodeVersion,
    // npm reads no config here: no user .npmrc, no audit, no funding calls.
    audit: false,
    fund: false,
  } as Arborist.Options);
  let tree: Arborist.Node;
  try {
    tree = await arborist.buildIdealTree();
  } catch (error) {
    explainRegistryError(error, label, target);
  }
  const omit = new Set(['dev']);
  const kept = [...tree.inventory.values()].filter(
    (node) => !node.isRoot && !(node as unknown as { inert?: boolean }).inert && !(node as unknown as { shouldOmit(o: Set<string>): boolean }).shouldOmit(omit),
  );
  const packages: TreePackage[] = [];
  const engineProblems: string[] = [];
  for (const node of kept) {
    const pkg = node.package as { name?: string; version?: string; engines?: { node?: string }; license?: unknown; licenses?: unknown };
    const id = `${pkg.name ?? node.name}@${pkg.version ?? '?'}`;
    if (node.isLink) throw new BuildError(`${label}: ${node.location} is a link (${node.resolved}); an npm layer installs registry packages only`);
    let resolved = node.resolved;
    let integrity = node.integrity;
    if (!resolved && pkg.name && pkg.version) {
      // npm leaves `resolved` out of a lockfile for some registries: the registry names the tarball, and the
      // lockfile's integrity (when it has one) is what the tarball must match.
      try {
        const manifest = await pacote.manifest(`${pkg.name}@${pkg.version}`, pacoteOptions(target));
        resolved = manifest._resolved;
        integrity = integrity ?? manifest._integrity;
      } catch (error) {
        explainRegistryError(error, `${label}: ${id}`, target);
      }
    }
    if (!resolved || !/^https?:/.test(resolved)) {
      throw new BuildError(`${label}: ${id} comes from ${resolved ?? 'nowhere'}, not from a registry; an npm layer installs registry packages only, so every tarball has an integrity to check`);
    }
    if (!integrity || !/^sha(256|384|512)-/.test(integrity)) {
      throw new BuildError(`${label}: ${id} has no sha512 integrity on ${target.registry} (${integrity ?? 'none'}); lamina installs only tarballs it can verify: pin another version`);
    }
    const engines = pkg.engines?.node;
    if (typeof engines === 'string' && !semver.satisfies(target.nodeVersion, engines, { includePrerelease: true })) {
      engineProblems.push(`${id} needs Node.js ${engines}`);
    }
    packages.push({
      location: node.location,
      name: pkg.name ?? node.name,
      version: pkg.version ?? '',
      resolved,
      integrity,
      optional: node.optional,
      ...(licenseOf(pkg) ? { license: licenseOf(pkg) } : {}),
      dependencies: [...node.edgesOut.values()]
        .map((edge) => edge.to)
        .filter((to): to is Arborist.Node => !!to && kept.includes(to))
        .map((to) => to.location)
        .sort(),
    });
  }
  if (engineProblems.length > 0) {
    throw new BuildError(
      `${label}: engines do not allow Node.js ${target.nodeVersion}: ${engineProblems.join('; ')}. Pin versions that support this Node.js line, or drop this runtime from the entry`,
    );
  }
  for (const name of required) {
    if (!packages.some((p) => p.location === `node_modules/${name}`)) {
      throw new BuildError(`${label}: ${name} cannot be installed for ${target.os} ${target.cpu} ${target.libc} with Node.js ${target.nodeVersion} (npm leaves it out: its platform or engines do not fit); drop this runtime/architecture from the entry or pin a version that supports it`);
    }
  }
  packages.sort((a, b) => (a.location < b.location ? -1 : a.location > b.location ? 1 : 0));
  await fs.rm(dir, { recursive: true, force: true });
  return { packages, direct: direct.filter((name) => packages.some((p) => p.location === `node_modules/${name}`)) };
}
