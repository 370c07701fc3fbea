import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import {
  ARCHITECTURES,
  BuildError,
  LaminaError,
  type Architecture,
  type BuiltLayer,
  type KindContext,
  type KindSettings,
  type LayerKind,
  type LayerTarget,
  type ResolvedTarget,
  type VerifyContext,
  type VerifyReport,
} from '../kind';
import type { ArchivedEntry } from '../../archive/archived-entry';
import { assertNativeFit, findNativeFiles, type NativeFile } from '../elf/native-check';
import { glibcText } from '../elf/elf';
import { DEFAULT_NPM_REGISTRY_URL, NODE_ARCH, resolveNodeRelease, type NodeRelease } from '../node-runtime/releases';
import { MAX_UNZIPPED_BYTES } from '../limits';
import { architecturesField, entryNameField, runtimesField, unique } from '../entry-fields';
import { directorySize, formatBytes, largestItems } from '../python/installer';
import { fetchTree } from './fetch';
import { installedBelow, installScriptsOf, type InstalledPackages } from './install-scripts';
import { NODE_RUNTIME_IDS, nodeLambdaRuntime } from './lambda-node-runtimes';
import { checkPackagesLoad } from './load-check';
import { npmSbom } from './sbom';
import { STRIP_ALL, STRIP_NONE, stripPackages, type NpmStrip } from './strip';
import { streamTree } from './tarball-layout';
import { resolveTree, type NpmTarget, type TreePackage } from './tree';

const stripSchema = z
  .union([
    z.boolean(),
    z
      .strictObject({
        docs: z.boolean().optional(),
        tests: z.boolean().optional(),
        typescript: z.boolean().optional(),
        sourceMaps: z.boolean().optional(),
        otherPlatforms: z.boolean().optional(),
      })
      .describe('Turn single categories off (each is on by default)'),
  ])
  .describe('Leave out what a function never loads: docs, tests, TypeScript sources and declarations, source maps, prebuilds for other platforms (default true)');

/** An `npm` catalog entry: one layer per Node.js runtime x architecture with these packages in nodejs/node_modules. */
export const npmEntrySchema = z
  .object({
    name: entryNameField('Entry name; layers are named <prefix>-node22-arm64-<name>'),
    kind: z.literal('npm'),
    packages: z
      .array(z.string().min(1, 'a package spec is a name, name@version or name@range'))
      .min(1, 'list at least one package, e.g. ["express@^4"]')
      .refine(unique, 'packages are listed twice')
      .optional()
      .describe('npm specs from the registry: express, sharp@^0.34, @aws-sdk/client-s3@3'),
    lockfile: z
      .string()
      .regex(/^[^/].*\.json$/, 'lockfile is a package-lock.json path relative to the catalog file')
      .optional()
      .describe('A package-lock.json (relative to the catalog file) whose tree is installed exactly'),
    runtimes: runtimesField(NODE_RUNTIME_IDS, 'Lambda Node.js runtimes; one layer each'),
    architectures: architecturesField(),
    registry: z.url().optional().describe('npm registry for this entry; settings.npmRegistryUrl or registry.npmjs.org when unset'),
    strip: stripSchema.optional(),
    description: z.string().max(200, 'description must be at most 200 characters (AWS allows 256 with the version lamina adds)').optional(),
  })
  .strict()
  .refine((entry) => (entry.packages === undefined) !== (entry.lockfile === undefined), {
    message: 'give either packages (npm specs) or lockfile (a package-lock.json path), not both and not neither',
  });

export type NpmEntry = z.output<typeof npmEntrySchema>;

/** What an npm target carries from Plan to Build (plain JSON). */
interface NpmSpec {
  packages?: string[];
  lockfile?: string;
  catalogDir?: string;
  runtime: string;
  major: number;
  architecture: Architecture;
  glibc: [number, number];
  registry: string;
  strip: NpmStrip;
  userDescription?: string;
  /** Set by Resolve, outside the hashed inputs: the Node.js engines are checked against and the load check runs. */
  node?: NodeRelease;
}

/** What Plan hashes: the resolved tree (the lock lamina installs), so a layer is rebuilt only when the tree changed. */
interface NpmInputs {
  registry: string;
  runtime: string;
  architecture: Architecture;
  strip: NpmStrip;
  direct: string[];
  packages: TreePackage[];
}

/** What an npm layer's manifest records. */
export interface NpmManifest {
  runtime: string;
  architecture: Architecture;
  registry: string;
  node?: string;
  unzippedBytes: number;
  packages: Array<{ location: string; name: string; version: string; integrity: string; license?: string; optional: boolean }>;
  installScriptsSkipped: string[];
  nativeFiles: Array<{ file: string; machine: string; glibc?: string }>;
  stripped: Record<string, number>;
}

export interface NpmKindOptions {
  /** Packages fetched at once (default 8). */
  concurrency?: number;
  /** Unzipped size limit (default Lambda's 262144000 bytes); tests lower it. */
  maxUnzippedBytes?: number;
  /**
   * `streamed` (default): each verified tarball is gunzipped once and its files deflated straight into a spool the
   * zip copies from (tarball-layout.ts), nothing written as a tree; `tree`: pacote extracts every tarball into the
   * layer folder first (the reference the streamed layout is tested and benchmarked against).
   */
  layout?: 'streamed' | 'tree';
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function specOf(target: LayerTarget): NpmSpec {
  return target.spec as unknown as NpmSpec;
}

function labelOf(target: LayerTarget): string {
  const spec = specOf(target);
  return `npm layer ${target.layerName} (${spec.runtime} ${spec.architecture})`;
}

function npmTargetOf(spec: NpmSpec, node: NodeRelease, ctx: KindContext): NpmTarget {
  return {
    os: 'linux',
    cpu: NODE_ARCH[spec.architecture],
    libc: 'glibc',
    nodeVersion: node.version,
    registry: spec.registry.endsWith('/') ? spec.registry : `${spec.registry}/`,
    cache: path.join(ctx.cacheDir, 'npm', '_cacache'),
  };
}

function runtimeText(spec: NpmSpec): string {
  const facts = nodeLambdaRuntime(spec.runtime);
  return `${spec.runtime} (${facts.os}, glibc ${glibcText(facts.glibc)})`;
}

/** The newest Node.js of the runtime's line on the registry: what engines are checked against and the check runs on. */
async function nodeOf(spec: NpmSpec, label: string): Promise<NodeRelease> {
  try {
    return await resolveNodeRelease('npm', String(spec.major), spec.architecture, { npmRegistryUrl: spec.registry });
  } catch (error) {
    throw new BuildError(`${label}: cannot find Node.js ${spec.major} for the engines check and the load check: ${(error as Error).message}`);
  }
}

/** Builds the npm layer kind; `npmKind` is the default one. */
export function createNpmKind(options: NpmKindOptions = {}): LayerKind<NpmEntry> {
  const maxBytes = options.maxUnzippedBytes ?? MAX_UNZIPPED_BYTES;
  async function resolveInputs(target: LayerTarget, spec: NpmSpec, node: NodeRelease, ctx: KindContext): Promise<NpmInputs> {
    const label = labelOf(target);
    let source: { specs: string[] } | { lockfile: string };
    if (spec.lockfile) {
      const file = path.resolve(spec.catalogDir ?? '.', spec.lockfile);
      let text: string;
      try {
        text = await fs.readFile(file, 'utf8');
      } catch (error) {
        throw new BuildError(`${label}: cannot read the lockfile ${file} (${(error as NodeJS.ErrnoException).code}); lockfile is a package-lock.json path relative to the catalog file`);
      }
      source = { lockfile: text };
    } else source = { specs: spec.packages ?? [] };
    const tree = await resolveTree(source, npmTargetOf(spec, node, ctx), ctx.workDir, label);
    return { registry: spec.registry, runtime: spec.runtime, architecture: spec.architecture, strip: spec.strip, direct: tree.direct, packages: tree.packages };
  }

  const topOf = (inputs: NpmInputs) => inputs.packages.find((p) => p.location === `node_modules/${inputs.direct[0]}`);

  return {
    kind: 'npm',
    entrySchema: npmEntrySchema as unknown as z.ZodType<NpmEntry>,

    expand(entry: NpmEntry, settings: KindSettings): LayerTarget[] {
      const targets: LayerTarget[] = [];
      const strip: NpmStrip = entry.strip === undefined || entry.strip === true ? STRIP_ALL : entry.strip === false ? STRIP_NONE : { ...STRIP_ALL, ...entry.strip };
      for (const runtime of entry.runtimes) {
        const facts = nodeLambdaRuntime(runtime);
        for (const architecture of entry.architectures) {
          const layerName = `${settings.prefix}-node${facts.major}-${architecture}-${entry.name}`;
          if (!/^[a-zA-Z0-9_-]{1,140}$/.test(layerName)) {
            throw new LaminaError(`layer name ${JSON.stringify(layerName)} of entry ${entry.name} is not 1-140 of [a-zA-Z0-9-_]; shorten the entry name or the prefix`);
          }
          const spec: NpmSpec = {
            ...(entry.packages ? { packages: entry.packages } : {}),
            ...(entry.lockfile ? { lockfile: entry.lockfile, ...(settings.catalogDir ? { catalogDir: settings.catalogDir } : {}) } : {}),
            runtime,
            major: facts.major,
            architecture,
            glibc: [facts.glibc[0], facts.glibc[1]],
            registry: entry.registry ?? settings.npmRegistryUrl ?? DEFAULT_NPM_REGISTRY_URL,
            strip,
            ...(entry.description ? { userDescription: entry.description } : {}),
          };
          const what = entry.packages ? entry.packages.join(', ') : `the packages of ${entry.lockfile}`;
          targets.push({
            entry: entry.name,
            kind: 'npm',
            layerName,
            runtimes: [runtime],
            architectures: [architecture],
            description: cut(entry.description ?? `${what} for ${runtime} ${architecture}`, 256),
            spec: { ...spec },
          });
        }
      }
      return targets;
    },

    async resolve(target: LayerTarget, ctx: KindContext): Promise<ResolvedTarget> {
      const spec = specOf(target);
      const label = labelOf(target);
      const node = await nodeOf(spec, label);
      const inputs = await resolveInputs(target, spec, node, ctx);
      const directs = inputs.packages.filter((p) => inputs.direct.some((name) => p.location === `node_modules/${name}`));
      ctx.log(`${label}: resolved ${inputs.packages.length} packages for ${directs.map((p) => `${p.name}@${p.version}`).join(', ')} (engines checked against Node.js ${node.version})`);
      const top = topOf(inputs);
      return { ...target, spec: { ...spec, node }, inputs, packageVersion: top ? `${top.name} ${top.version}` : undefined };
    },

    async build(target: ResolvedTarget, ctx: KindContext): Promise<BuiltLayer> {
      const spec = specOf(target);
      const label = labelOf(target);
      const node = spec.node ?? (await nodeOf(spec, label));
      const inputs = (target.inputs as NpmInputs | undefined)?.packages ? (target.inputs as NpmInputs) : await resolveInputs(target, spec, node, ctx);
      const npmTarget = npmTargetOf(spec, node, ctx);
      const rootDir = path.join(ctx.workDir, 'layer');
      const nodejsDir = path.join(rootDir, 'nodejs');
      // The deflated files the layer zip copies from (the streamed layout); big files get spool files of their own.
      const spoolDir = path.join(ctx.workDir, 'npm-spool');
      const spoolFile = path.join(spoolDir, 'files.zip');
      await fs.rm(rootDir, { recursive: true, force: true });
      await fs.rm(spoolDir, { recursive: true, force: true });
      const platform = `linux-${NODE_ARCH[spec.architecture]}`;
      const concurrency = options.concurrency ?? 8;
      let stripped: Record<string, number>;
      let nativeFiles: NativeFile[];
      let installed: InstalledPackages;
      let unzippedBytes: number;
      let largest: () => Promise<string[]>;
      let archived: ArchivedEntry[] | undefined;
      if (options.layout === 'tree') {
        await fs.mkdir(path.join(nodejsDir, 'node_modules'), { recursive: true });
        await fetchTree(inputs.packages, nodejsDir, npmTarget, label, concurrency);
        stripped = await stripPackages(nodejsDir, inputs.packages, inputs.strip, platform);
        nativeFiles = await findNativeFiles(nodejsDir);
        installed = installedBelow(nodejsDir);
        unzippedBytes = await directorySize(rootDir);
        largest = () => largestItems(path.join(nodejsDir, 'node_modules'));
      } else {
        await fs.mkdir(rootDir, { recursive: true });
        const layout = await streamTree(inputs.packages, spoolFile, npmTarget, inputs.strip, platform, label, concurrency);
        ({ stripped, nativeFiles, installed, unzippedBytes, archived } = layout);
        largest = async () => layout.largest.slice(0, 5).map(([name, bytes]) => `${name} (${formatBytes(bytes)})`);
      }
      ctx.log(`${label}: fetched ${inputs.packages.length} packages (integrity verified)${archived ? ', streamed into the layer zip' : ''}`);
      const freed = Object.values(stripped).reduce((a, b) => a + b, 0);
      if (freed > 0) ctx.log(`${label}: strip removed ${formatBytes(freed)} (${Object.entries(stripped).map(([k, v]) => `${k} ${formatBytes(v)}`).join(', ')})`);

      const nativeTarget = { architecture: spec.architecture, glibc: spec.glibc, runtime: runtimeText(spec) };
      assertNativeFit(nativeFiles, nativeTarget, label, 'Pin a version that ships a prebuilt binary for this target, or drop this runtime/architecture from the entry');
      const scripts = await installScriptsOf(inputs.packages, nativeFiles, installed);
      if (scripts.broken.length > 0) {
        throw new BuildError(
          `${label}: ${scripts.broken.map((b) => `${b.id} needs its install script (${b.script}) to build or download native code, and ships no prebuilt binary for linux ${NODE_ARCH[spec.architecture]}`).join('; ')}. lamina runs no install scripts: use a package with prebuilt binaries for Linux (e.g. bcryptjs for bcrypt), a version that ships them, or a files layer with the built module`,
        );
      }
      if (scripts.skipped.length > 0) ctx.log(`${label}: install scripts not run (not needed: no native build): ${scripts.skipped.join('; ')}`);
      if (unzippedBytes > maxBytes) {
        throw new BuildError(
          `${label}: the layer would be ${unzippedBytes} bytes (${formatBytes(unzippedBytes)}) unzipped, over the limit of ${maxBytes} bytes (${formatBytes(maxBytes)}; Lambda allows 262144000 for a function and all its layers). Largest: ${(await largest()).join(', ')}. Split the entry into several layers, or leave strip on`,
        );
      }

      const top = topOf(inputs);
      const others = inputs.packages.length - 1;
      const topText = top ? `${top.name} ${top.version}` : (spec.packages ?? []).join(', ');
      const summary = `${topText}${others > 0 ? ` (+${others} packages)` : ''} for ${spec.runtime} ${spec.architecture}`;
      const description = cut(spec.userDescription ? `${spec.userDescription} - ${summary}` : summary, 256);
      const directs = inputs.packages.filter((p) => inputs.direct.some((name) => p.location === `node_modules/${name}`));
      const licenseInfo = directs.length === 1 ? directs[0].license : directs.filter((p) => p.license).map((p) => `${p.name}: ${p.license}`).join('; ') || undefined;
      const manifest: NpmManifest = {
        runtime: spec.runtime,
        architecture: spec.architecture,
        registry: inputs.registry,
        node: node.version,
        unzippedBytes,
        packages: inputs.packages.map((p) => ({ location: p.location, name: p.name, version: p.version, integrity: p.integrity, optional: p.optional, ...(p.license ? { license: p.license } : {}) })),
        installScriptsSkipped: scripts.skipped,
        nativeFiles: nativeFiles.map((f) => ({ file: `nodejs/${f.file}`, machine: f.machine, ...(f.maxGlibc ? { glibc: glibcText(f.maxGlibc) } : {}) })),
        stripped,
      };
      ctx.log(`${label}: ${inputs.packages.length} packages, ${nativeFiles.length} native files checked, ${formatBytes(unzippedBytes)} unzipped`);
      return {
        rootDir,
        ...(archived ? { archived } : {}),
        description,
        licenseInfo: licenseInfo ? cut(licenseInfo, 512) : undefined,
        packageVersion: top ? `${top.name} ${top.version}` : undefined,
        manifest,
        attachments: { 'sbom.cdx.json': npmSbom({ name: target.layerName, version: top?.version ?? '0', description }, inputs.packages, inputs.direct) },
      };
    },

    verify: {
      async run(target: ResolvedTarget, layerDir: string, ctx: VerifyContext): Promise<VerifyReport> {
        return checkPackagesLoad((target.inputs as NpmInputs).direct, layerDir, ctx, labelOf(target));
      },
    },
  };
}

/** The `npm` layer kind. */
export const npmKind: LayerKind<NpmEntry> = createNpmKind();
