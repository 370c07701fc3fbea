import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import {
  ARCHITECTURES,
  BuildError,
  LaminaError,
  type BuiltLayer,
  type KindContext,
  type KindSettings,
  type LayerKind,
  type LayerTarget,
  type ResolvedTarget,
} from '../kind';
import { parseCoreMetadata } from './core-metadata';
import { HashMismatchError, IndexClient, PYPI_SIMPLE_URL, type IndexClientOptions } from './index-client';
import { fetchWheel, IndexProvider, type PythonTargetEnv } from './index-provider';
import { directorySize, formatBytes, installWheel, largestItems, stripSitePackages } from './installer';
import { largestLaidOut, layWheels, listWheel, metadataOf, nativeFilesOf, SITE_PACKAGES, strippedName, type WheelListing } from './wheel-layout';
import { markerEnvironment, PYTHON_RUNTIME_IDS, pythonRuntime, RUNTIME_PROVIDED } from './lambda-runtimes';
import { parseRequirement, RequirementSyntaxError } from './pep508';
import { lambdaTags } from './platform-tags';
import { isDisagreement, resolve, ResolutionImpossible } from './resolver';
import { cycloneDx, type InstalledDistribution } from './sbom';
import type { IndexFile } from './simple-api';
import { mapLimit } from '../../shared/handler-runtime';
import { assertNativeFilesFit, assertNativeFit } from '../elf/native-check';
import type { RawZipEntry } from '../../archive/raw-entry';
import { pythonVerifier } from './verify';
import { architecturesField, entryNameField, runtimesField } from '../entry-fields';
import { MAX_UNZIPPED_BYTES } from '../limits';
import { ArchiveSources, type ArchivedEntry } from '../../archive/archived-entry';


function isIndexUrl(value: string): boolean {
  try {
    return ['http:', 'https:', 'file:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

const requirementText = z
  .string({ error: 'a requirement is a string such as "requests>=2.31" (PEP 508)' })
  .superRefine((value, ctx) => {
    try {
      parseRequirement(value);
    } catch (error) {
      const reason = error instanceof RequirementSyntaxError ? error.reason : (error as Error).message;
      ctx.addIssue({ code: 'custom', message: `invalid requirement ${JSON.stringify(value)}: ${reason} (PEP 508, e.g. "requests[socks]>=2.31; python_version >= '3.9'")` });
    }
  });

/** A `python` catalog entry: one layer per runtime x architecture with these requirements installed. */
export const pythonEntrySchema = z
  .object({
    name: entryNameField('Entry name; layers are named <prefix>-py312-arm64-<name>'),
    kind: z.literal('python'),
    requirements: z
      .array(requirementText)
      .min(1, 'list at least one requirement, e.g. ["requests"]')
      .describe('PEP 508 requirements, pinned (numpy==2.1.3) or open (requests: the newest that fits each target)'),
    runtimes: runtimesField(PYTHON_RUNTIME_IDS, 'Lambda Python runtimes; one layer each'),
    architectures: architecturesField(),
    index: z
      .string()
      .refine(isIndexUrl, 'index must be an http(s):// or file:// URL of a Simple API (PEP 503/691) index')
      .optional()
      .describe('Simple API index for this entry; settings.pythonIndexUrl or PyPI when unset'),
    prereleases: z.boolean().optional().describe('Accept pre-releases everywhere (default: only when pinned or named)'),
    excludeRuntimeProvided: z
      .boolean()
      .optional()
      .describe(`Leave out dependencies the Lambda runtime ships (${RUNTIME_PROVIDED.join(', ')}) unless listed in requirements`),
    strip: z.boolean().optional().describe('Drop __pycache__ and tests/test folders inside packages'),
    description: z.string().max(200, 'description must be at most 200 characters (AWS allows 256 with the version lamina adds)').optional(),
  })
  .strict();

export type PythonEntry = z.output<typeof pythonEntrySchema>;

const specSchema = z.object({
  requirements: z.array(z.string()),
  runtime: z.string(),
  pythonVersion: z.string(),
  pythonFullVersion: z.string(),
  architecture: z.enum(ARCHITECTURES),
  glibc: z.tuple([z.number(), z.number()]),
  indexUrl: z.string(),
  prereleases: z.boolean(),
  excludeRuntimeProvided: z.boolean(),
  strip: z.boolean(),
  userDescription: z.string().optional(),
});
export type PythonSpec = z.output<typeof specSchema>;

const distributionSchema = z.object({
  key: z.string(),
  name: z.string(),
  version: z.string(),
  wheel: z.string(),
  url: z.string(),
  sha256: z.string(),
  dependencies: z.array(z.string()),
  direct: z.boolean(),
  excluded: z.boolean(),
});
export type ResolvedDistribution = z.output<typeof distributionSchema>;

const inputsSchema = z.object({
  indexUrl: z.string(),
  runtime: z.string(),
  architecture: z.enum(ARCHITECTURES),
  strip: z.boolean(),
  distributions: z.array(distributionSchema),
});
export type PythonInputs = z.output<typeof inputsSchema>;

/** What a python layer's manifest records (stored with the build record). */
export interface PythonManifest {
  runtime: string;
  architecture: string;
  indexUrl: string;
  unzippedBytes: number;
  distributions: Array<{ name: string; version: string; wheel: string; sha256: string; license?: string }>;
  /** Resolved but left out because the runtime provides them. */
  excluded: Array<{ name: string; version: string }>;
}

export interface PythonKindOptions {
  /** Unzipped size limit (default Lambda's 262144000 bytes); tests lower it. */
  maxUnzippedBytes?: number;
  /** Retry/timeout settings of the index client. */
  client?: Omit<IndexClientOptions, 'indexUrl'>;
  /** Wheels downloaded at once (default 8). */
  downloadConcurrency?: number;
  /**
   * `streamed` (default): the layer's files stay in their verified wheels and are copied into the zip as they
   * are; `tree`: the wheels are extracted into the layer folder first (the reference the streamed layout is tested
   * against; also what wheels with links, or whose files clash with another's folders, always get).
   */
  layout?: 'streamed' | 'tree';
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function pythonTag(runtime: string): string {
  return `py${pythonRuntime(runtime).pythonVersion.replace('.', '')}`;
}

function labelOf(target: LayerTarget, spec: PythonSpec): string {
  return `python layer ${target.layerName} (${spec.runtime} ${spec.architecture})`;
}

function specOf(target: LayerTarget): PythonSpec {
  const parsed = specSchema.safeParse(target.spec);
  if (!parsed.success) throw new LaminaError(`target ${target.layerName} has no valid python spec (${parsed.error.message}); expand the catalog entry again`);
  return parsed.data;
}

function environmentOf(spec: PythonSpec): PythonTargetEnv {
  return {
    runtime: spec.runtime,
    pythonVersion: spec.pythonVersion,
    pythonFullVersion: spec.pythonFullVersion,
    architecture: spec.architecture,
    tags: lambdaTags(spec.pythonVersion, spec.architecture, spec.glibc),
    glibc: spec.glibc,
  };
}


/** Turns index and resolver failures into BuildErrors that name the layer, the target and what to do. */
function explain(error: unknown, label: string): never {
  if (error instanceof ResolutionImpossible) {
    const advice = isDisagreement(error.conflicts) ? ' Loosen or pin one side of the conflict in the entry\'s requirements, or drop this runtime/architecture from the entry.' : '';
    throw new BuildError(`${label}: ${error.message}${advice}`);
  }
  // Already labelled by this module.
  if (error instanceof BuildError) throw error;
  if (error instanceof Error) throw new BuildError(`${label}: ${error.message}`);
  throw error;
}

/** Builds the python layer kind; `pythonKind` is the one with Lambda's limits. */
export function createPythonKind(options: PythonKindOptions = {}): LayerKind<PythonEntry> {
  const maxBytes = options.maxUnzippedBytes ?? MAX_UNZIPPED_BYTES;
  const clientFor = (indexUrl: string) => new IndexClient({ ...options.client, indexUrl });

  async function resolveInputs(target: LayerTarget, spec: PythonSpec, ctx: KindContext): Promise<PythonInputs> {
    const label = labelOf(target, spec);
    const client = clientFor(spec.indexUrl);
    const provider = new IndexProvider(client, environmentOf(spec), ctx.cacheDir, ctx.log);
    const environment = markerEnvironment(spec.pythonVersion, spec.pythonFullVersion, spec.architecture);
    try {
      const requirements = spec.requirements.map((text) => parseRequirement(text));
      const resolutions = await resolve(requirements, provider, { environment, prereleases: spec.prereleases });
      const provided = new Set<string>(RUNTIME_PROVIDED);
      const distributions = await Promise.all(
        resolutions.map(async (r): Promise<ResolvedDistribution> => {
          const metadata = await provider.coreMetadata(r.candidate);
          return {
            key: r.key,
            name: metadata.name,
            version: r.candidate.version,
            wheel: r.candidate.file.filename,
            url: r.candidate.file.url,
            sha256: r.candidate.file.hashes.sha256 ?? '',
            dependencies: r.dependencies,
            direct: r.direct,
            excluded: spec.excludeRuntimeProvided && !r.direct && provided.has(r.key),
          };
        }),
      );
      if (distributions.length === 0) {
        throw new BuildError(`${label}: no requirement applies to ${spec.runtime} ${spec.architecture} (their markers exclude it); drop this runtime/architecture from the entry or fix the markers`);
      }
      for (const d of distributions) {
        if (!d.sha256) throw new BuildError(`${label}: the index ${spec.indexUrl} publishes no sha256 for ${d.wheel}; lamina only installs files it can verify, use an index that publishes hashes`);
      }
      return { indexUrl: spec.indexUrl, runtime: spec.runtime, architecture: spec.architecture, strip: spec.strip, distributions };
    } catch (error) {
      explain(error, label);
    }
  }

  function topPackage(spec: PythonSpec, inputs: PythonInputs): ResolvedDistribution | undefined {
    const firstKey = parseRequirement(spec.requirements[0]).key;
    return inputs.distributions.find((d) => d.key === firstKey) ?? inputs.distributions.find((d) => d.direct);
  }

  return {
    kind: 'python',
    entrySchema: pythonEntrySchema,
    verify: pythonVerifier,

    expand(entry: PythonEntry, settings: KindSettings): LayerTarget[] {
      const targets: LayerTarget[] = [];
      for (const runtime of entry.runtimes) {
        const facts = pythonRuntime(runtime);
        for (const architecture of entry.architectures) {
          const layerName = `${settings.prefix}-${pythonTag(runtime)}-${architecture}-${entry.name}`;
          const spec: PythonSpec = {
            requirements: entry.requirements,
            runtime,
            pythonVersion: facts.pythonVersion,
            pythonFullVersion: facts.pythonFullVersion,
            architecture,
            glibc: [facts.glibc[0], facts.glibc[1]],
            indexUrl: entry.index ?? settings.pythonIndexUrl ?? PYPI_SIMPLE_URL,
            prereleases: entry.prereleases ?? false,
            excludeRuntimeProvided: entry.excludeRuntimeProvided ?? false,
            strip: entry.strip ?? false,
            ...(entry.description ? { userDescription: entry.description } : {}),
          };
          targets.push({
            entry: entry.name,
            kind: 'python',
            layerName,
            runtimes: [runtime],
            architectures: [architecture],
            description: cut(entry.description ?? `${entry.requirements.join(', ')} for ${runtime} ${architecture}`, 256),
            spec,
          });
        }
      }
      return targets;
    },

    async resolve(target: LayerTarget, ctx: KindContext): Promise<ResolvedTarget> {
      const spec = specOf(target);
      const inputs = await resolveInputs(target, spec, ctx);
      const top = topPackage(spec, inputs);
      ctx.log(`${labelOf(target, spec)}: resolved ${inputs.distributions.map((d) => `${d.name}==${d.version}`).join(' ')}`);
      return { ...target, inputs, packageVersion: top ? `${top.name} ${top.version}` : undefined };
    },

    async build(target: ResolvedTarget, ctx: KindContext): Promise<BuiltLayer> {
      const spec = specOf(target);
      const label = labelOf(target, spec);
      const parsed = inputsSchema.safeParse(target.inputs);
      const inputs = parsed.success ? parsed.data : await resolveInputs(target, spec, ctx);
      const client = clientFor(inputs.indexUrl);
      const rootDir = path.join(ctx.workDir, 'layer');
      const sitePackages = path.join(rootDir, 'python');
      await fs.rm(rootDir, { recursive: true, force: true });
      await fs.mkdir(sitePackages, { recursive: true });
      const toInstall = inputs.distributions.filter((d) => !d.excluded);
      const excluded = inputs.distributions.filter((d) => d.excluded);
      if (excluded.length) ctx.log(`${label}: leaving out ${excluded.map((d) => d.name).join(', ')} (the Lambda runtime provides them)`);

      const unsafe = (d: ResolvedDistribution, error: unknown): never => {
        if (error instanceof LaminaError) {
          throw new BuildError(
            `${label}: ${d.name} ${d.version}: ${error.message}. This wheel is unsafe and lamina will not install it: pin another version of ${d.name} or report the file to its maintainers`,
          );
        }
        throw error;
      };
      const download = async (d: ResolvedDistribution): Promise<string> => {
        const file: IndexFile = { filename: d.wheel, url: d.url, hashes: { sha256: d.sha256 }, yanked: false, coreMetadata: false };
        try {
          return await fetchWheel(client, ctx.cacheDir, file);
        } catch (error) {
          if (error instanceof HashMismatchError) {
            throw new BuildError(
              `${label}: ${d.name} ${d.version}: ${error.message}. The file changed on the index or was corrupted on the way, and it was not installed. Retry the build; if it persists, report it to the index owner or pin another version of ${d.name}`,
            );
          }
          return explain(error, `${label}: ${d.name} ${d.version}`);
        }
      };
      const wheels: string[] = [];
      const listings: WheelListing[] = [];
      // Every wheel is downloaded (verified against the index's sha256 before it appears in the cache) and listed
      // from its central directory, concurrently; the running size total stops the build as soon as the layer
      // cannot fit.
      let planned = 0;
      await mapLimit([...toInstall.keys()], options.downloadConcurrency ?? 8, async (i) => {
        wheels[i] = await download(toInstall[i]);
        listings[i] = await listWheel(wheels[i], toInstall[i].wheel).catch((error: unknown) => unsafe(toInstall[i], error));
        planned += listings[i].bytes;
        if (!spec.strip && planned > maxBytes) {
          const biggest = toInstall
            .map((d, j) => ({ d, bytes: listings[j]?.bytes ?? 0 }))
            .filter(({ bytes }) => bytes > 0)
            .sort((a, b) => b.bytes - a.bytes)
            .slice(0, 5)
            .map(({ d, bytes }) => `${d.name} ${d.version} (${formatBytes(bytes)})`);
          throw tooBig(label, planned, maxBytes, biggest, true);
        }
      });
      const laidOut = options.layout === 'tree' || !listings.every((l) => l.streamable) ? undefined : layWheels(listings);
      let installed: InstalledDistribution[];
      let archived: ArchivedEntry[] | undefined;
      let rawEntries: RawZipEntry[] | undefined;
      let unzippedBytes: number;
      const native = { architecture: spec.architecture, glibc: spec.glibc, runtime: spec.runtime };
      if (laidOut) {
        // Streamed: nothing is extracted; the zip writer copies each file's compressed bytes from its wheel.
        const sources = new ArchiveSources();
        try {
          installed = toInstall.map((d, i) => {
            let text: string | undefined;
            try {
              text = metadataOf(listings[i], sources);
            } catch (error) {
              unsafe(d, error);
            }
            return distributionOf(d, text ? parseCoreMetadata(text).license : undefined);
          });
        } finally {
          sources.close();
        }
        archived = spec.strip ? laidOut.filter((e) => !strippedName(e.name.slice(SITE_PACKAGES.length + 1))) : laidOut;
        unzippedBytes = filesSize(archived);
        if (spec.strip) ctx.log(`${label}: strip removed ${formatBytes(filesSize(laidOut) - unzippedBytes)} of __pycache__ and test folders`);
        assertNativeFit(nativeFilesOf(archived), native, label, NATIVE_ADVICE);
        if (unzippedBytes > maxBytes) throw tooBig(label, unzippedBytes, maxBytes, largestLaidOut(archived, formatBytes));
      } else {
        ({ installed, rawEntries } = await installTree(toInstall, wheels, sitePackages, unsafe));
        if (spec.strip) {
          const freed = await stripSitePackages(sitePackages);
          ctx.log(`${label}: strip removed ${formatBytes(freed)} of __pycache__ and test folders`);
        }
        await assertNativeFilesFit(sitePackages, native, label, NATIVE_ADVICE);
        unzippedBytes = await directorySize(rootDir);
        if (unzippedBytes > maxBytes) throw tooBig(label, unzippedBytes, maxBytes, await largestItems(sitePackages));
      }

      const top = topPackage(spec, inputs);
      const topText = top ? `${top.name} ${top.version}` : spec.requirements.join(', ');
      const others = installed.length - 1;
      const summary = `${topText}${others > 0 ? ` (+${others} dependencies)` : ''} for ${spec.runtime} ${spec.architecture}`;
      const description = cut(spec.userDescription ? `${spec.userDescription} - ${summary}` : summary, 256);
      const directs = installed.filter((d) => d.direct);
      const licenseInfo =
        directs.length === 1
          ? directs[0].license
          : directs
              .filter((d) => d.license)
              .map((d) => `${d.name}: ${d.license}`)
              .join('; ') || undefined;
      const manifest: PythonManifest = {
        runtime: spec.runtime,
        architecture: spec.architecture,
        indexUrl: inputs.indexUrl,
        unzippedBytes,
        distributions: installed.map(({ name, version, wheel, sha256, license }) => ({ name, version, wheel, sha256, ...(license ? { license } : {}) })),
        excluded: excluded.map(({ name, version }) => ({ name, version })),
      };
      ctx.log(`${label}: installed ${installed.length} distributions, ${formatBytes(unzippedBytes)} unzipped`);
      return {
        rootDir,
        description,
        licenseInfo: licenseInfo ? cut(licenseInfo, 512) : undefined,
        packageVersion: top ? `${top.name} ${top.version}` : undefined,
        manifest,
        attachments: { 'sbom.cdx.json': cycloneDx({ name: target.layerName, version: top?.version ?? '0', description }, installed) },
        ...(rawEntries ? { rawEntries } : {}),
        ...(archived ? { archived } : {}),
      };
    },
  };
}

const NATIVE_ADVICE = 'Pin a version whose wheels are built for this target, or drop this runtime/architecture from the entry';

function tooBig(label: string, bytes: number, maxBytes: number, biggest: string[], atLeast = false): BuildError {
  return new BuildError(
    `${label}: the layer would be ${atLeast ? 'at least ' : ''}${bytes} bytes (${formatBytes(bytes)}) unzipped, over the limit of ${maxBytes} bytes (${formatBytes(maxBytes)}; Lambda allows 262144000 for a function and all its layers). Largest: ${biggest.join(', ')}. Split the entry into several layers, set strip: true, or set excludeRuntimeProvided: true`,
  );
}

function distributionOf(d: ResolvedDistribution, license: string | undefined): InstalledDistribution {
  return { name: d.name, version: d.version, wheel: d.wheel, url: d.url, sha256: d.sha256, license, dependencies: d.dependencies, direct: d.direct };
}

/** Bytes the files among `entries` take unzipped. */
function filesSize(entries: readonly ArchivedEntry[]): number {
  return entries.reduce((sum, e) => sum + (e.name.endsWith('/') ? 0 : e.uncompressedSize), 0);
}

/**
 * Extracts the wheels into `sitePackages`, in order (the last wheel to write a file wins, as with pip), and says
 * where each file's compressed bytes are in its wheel for the zip writer (which checks the file still matches).
 * The way for wheels the streamed layout cannot take (links, a file of one wheel that is a folder of another).
 */
async function installTree(
  toInstall: ResolvedDistribution[],
  wheels: string[],
  sitePackages: string,
  unsafe: (d: ResolvedDistribution, error: unknown) => never,
): Promise<{ installed: InstalledDistribution[]; rawEntries: RawZipEntry[] }> {
  const raw = new Map<string, RawZipEntry>();
  const installed: InstalledDistribution[] = [];
  for (const [i, d] of toInstall.entries()) {
    let distInfo: string | undefined;
    try {
      const result = await installWheel(wheels[i], sitePackages, d.wheel);
      distInfo = result.distInfo;
      for (const entry of result.raw) raw.set(`python/${entry.name}`, { ...entry, name: `python/${entry.name}` });
    } catch (error) {
      unsafe(d, error);
    }
    const text = distInfo ? await fs.readFile(path.join(sitePackages, distInfo, 'METADATA'), 'utf8').catch(() => undefined) : undefined;
    installed.push(distributionOf(d, text ? parseCoreMetadata(text).license : undefined));
  }
  return { installed, rawEntries: [...raw.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
}

/** The `python` layer kind with Lambda's limits. */
export const pythonKind: LayerKind<PythonEntry> = createPythonKind();
