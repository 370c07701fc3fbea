import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { zipBuiltLayer, type ZipResult } from '../archive/deterministic-zip';
import type { ArtifactStore } from '../aws/artifacts';
import { BuildError, type BuiltLayer, type KindContext, type ResolvedTarget } from '../layers/kind';
import { kindNamed } from '../layers/kinds';
import { afterWrite } from '../shared/crash-points';
import type { BuildEvent, BuildResult, BuiltArtifact } from '../shared/pipeline-events';
import type { LayerStore } from '../store/layer-store';
import type { Verification } from '../../schema/table';
import { pendingKeyOf, verifyChecksOf, type PendingBuild } from '../verify/checks';
import { LayerUnderVerification, sealVerifiedZip } from '../verify/layer-under-verification';
import { describeVerification, publishDecision, verifyOn, verifyTargetsOf, type EnvironmentOf } from '../verify/verify';

import { MAX_UNZIPPED_BYTES } from '../layers/limits';

export { MAX_UNZIPPED_BYTES };
export const MAX_DESCRIPTION = 256;
export const MAX_LICENSE_INFO = 512;

export interface BuildDeps {
  store: Pick<LayerStore, 'getInput' | 'getBuild'>;
  /** The verify function of each runtime × architecture (LAMINA_VERIFY_FUNCTIONS when deployed); local names when absent. */
  verifyFunctions?: Record<string, string>;
  artifacts: Pick<ArtifactStore, 'digest' | 'putFile' | 'putText' | 'getText'>;
  tmpDir: string;
  cacheDir?: string;
  log?: (message: string) => void;
  now?: () => Date;
  /** Lower in tests; Lambda's real limit otherwise. */
  maxUnzippedBytes?: number;
}

export function artifactKeyOf(layerName: string, sha256: string): string {
  return `layers/${layerName}/${sha256}.zip`;
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export interface PackageOptions {
  workDir: string;
  cacheDir: string;
  zipFile: string;
  log: (message: string) => void;
  maxUnzippedBytes?: number;
  /**
   * Verify the zip before returning it (`lamina build`): each runtime × architecture in the environment
   * `environmentOf` gives; the zip written is then the verified one (Python: with bytecode). A failure throws
   * LayerVerificationFailed, an unverifiable target LayerNotVerified unless publishUnverified allows it.
   */
  verify?: { environmentOf: EnvironmentOf; publishUnverified?: boolean };
}

export interface PackagedLayer {
  built: BuiltLayer;
  zip: ZipResult;
  /** How each runtime × architecture was verified (empty when not asked to verify). */
  verifications: Verification[];
  /** Unverified targets that were let through, one line each. */
  warnings: string[];
}

function checkSize(layerName: string, zip: ZipResult, limit: number): void {
  if (zip.unzippedSize > limit) {
    throw new BuildError(
      `${layerName} is ${zip.unzippedSize} bytes unzipped, over Lambda's limit of ${limit} bytes for a function and its layers; ` +
        'split it into smaller layers or leave out what the runtime already ships',
    );
  }
}

/**
 * Lays out a resolved target with its kind, zips it deterministically, checks it against Lambda's size limit and,
 * when asked, verifies it: everything short of storing and publishing. `lamina build` uses it alone.
 */
export async function packageLayer(target: ResolvedTarget, options: PackageOptions): Promise<PackagedLayer> {
  await fs.mkdir(options.workDir, { recursive: true });
  const ctx: KindContext = { workDir: options.workDir, cacheDir: options.cacheDir, log: options.log };
  const kind = kindNamed(target.kind);
  const limit = options.maxUnzippedBytes ?? MAX_UNZIPPED_BYTES;
  options.log('building');
  const started = Date.now();
  const built = await kind.build(target, ctx);
  if (!options.verify) {
    const zip = await zipBuiltLayer(built, options.zipFile);
    checkSize(target.layerName, zip, limit);
    return { built, zip, verifications: [], warnings: [] };
  }
  const builtZip = path.join(options.workDir, 'built.zip');
  const base = await zipBuiltLayer(built, builtZip);
  checkSize(target.layerName, base, limit);
  const zipped = Date.now();
  // What is verified is the zip's content, exactly what would be published, not the build folder.
  const layer = new LayerUnderVerification(builtZip, path.join(options.workDir, 'verify'));
  try {
    const verifications: Verification[] = [];
    let changed = false;
    for (const check of verifyTargetsOf(target)) {
      const run = await verifyOn(target, check, layer, options.verify.environmentOf, { ...ctx, workDir: path.join(options.workDir, 'verify', `${check.runtime}-${check.architecture}`) });
      options.log(describeVerification(run.verification));
      verifications.push(run.verification);
      changed ||= run.changed;
    }
    const { warnings } = publishDecision(target.layerName, verifications, options.verify.publishUnverified);
    for (const warning of warnings) options.log(`WARNING: ${warning}`);
    let zip: ZipResult;
    const verified = Date.now();
    if (changed) {
      zip = await sealVerifiedZip(builtZip, layer.changes, options.zipFile, limit, target.layerName);
    } else {
      await fs.mkdir(path.dirname(options.zipFile), { recursive: true });
      await fs.copyFile(builtZip, options.zipFile);
      zip = { ...base, path: options.zipFile };
    }
    options.log(`phases: build ${zipped - started} ms, verify ${verified - zipped} ms, seal ${Date.now() - verified} ms`);
    return { built, zip, verifications, warnings };
  } finally {
    await layer.dispose();
  }
}

/**
 * Builds one layer: the kind lays it out under tmpDir, it is zipped deterministically, checked against Lambda's
 * limits and stored in the artifact store, and Build names what Verify proves it on. Content already built (and
 * verified) from the same inputs is reused as it is.
 */
export async function build(event: BuildEvent, deps: BuildDeps): Promise<BuildResult> {
  const { targetKey, inputHash, regions } = event.item;
  const target = JSON.parse(await deps.artifacts.getText(targetKey)) as ResolvedTarget;
  const log = (message: string) => deps.log?.(`${target.layerName}: ${message}`);
  const result = (layer: BuiltArtifact, reused: boolean): BuildResult => ({ runId: event.runId, settings: event.settings, regions, layer, reused, targetKey, checks: [] });

  if (!event.force) {
    const input = await deps.store.getInput(target.layerName, inputHash);
    const known = input && (await deps.store.getBuild(target.layerName, input.sha256));
    // A stored zip is reused only once its bytes are proven to be the recorded build's: one that is missing or
    // was changed in the store is built again, never handed on to Publish.
    const stored = known && (await deps.artifacts.digest(known.artifactKey));
    if (known && stored && stored.sha256 !== known.sha256) {
      log(`the stored zip ${known.artifactKey} has sha256 ${stored.sha256.slice(0, 12)}, not the recorded ${known.sha256.slice(0, 12)}: building it again`);
    }
    if (known && stored?.sha256 === known.sha256) {
      log(`content unchanged (${known.sha256.slice(0, 12)}), reusing the stored zip (sha256 checked)`);
      return result(
        {
          layerName: target.layerName,
          entry: target.entry,
          kind: target.kind,
          runtimes: target.runtimes,
          architectures: target.architectures,
          description: known.description,
          licenseInfo: known.licenseInfo,
          packageVersion: known.packageVersion,
          sha256: known.sha256,
          codeSha256: known.codeSha256,
          size: known.size,
          unzippedSize: known.unzippedSize,
          artifactKey: known.artifactKey,
          verifications: known.verifications,
        },
        true,
      );
    }
  }

  const { built, zip } = await packageLayer(target, {
    workDir: path.join(deps.tmpDir, 'build'),
    cacheDir: deps.cacheDir ?? path.join(deps.tmpDir, 'cache'),
    zipFile: path.join(deps.tmpDir, 'layer.zip'),
    log,
    maxUnzippedBytes: deps.maxUnzippedBytes,
  });
  const artifactKey = artifactKeyOf(target.layerName, zip.sha256);
  await deps.artifacts.putFile(artifactKey, zip.path);
  afterWrite('build:artifact');
  let sbomKey: string | undefined;
  for (const [name, body] of Object.entries(built.attachments ?? {})) {
    const key = `layers/${target.layerName}/${zip.sha256}/${name}`;
    await deps.artifacts.putText(key, body, name.endsWith('.json') ? 'application/json' : 'text/plain');
    if (name.includes('sbom')) sbomKey = key;
  }
  const builtAt = (deps.now?.() ?? new Date()).toISOString();
  const layer: BuiltArtifact = {
    layerName: target.layerName,
    entry: target.entry,
    kind: target.kind,
    runtimes: target.runtimes,
    architectures: target.architectures,
    description: cut(built.description || target.description, MAX_DESCRIPTION),
    licenseInfo: built.licenseInfo ? cut(built.licenseInfo, MAX_LICENSE_INFO) : undefined,
    packageVersion: built.packageVersion ?? target.packageVersion,
    sha256: zip.sha256,
    codeSha256: zip.codeSha256,
    size: zip.size,
    unzippedSize: zip.unzippedSize,
    artifactKey,
  };
  // The build record is Seal's to write, once Verify has proven the zip: until then Plan must not take these
  // inputs as built. What Seal needs besides Build's small result waits in the artifact store.
  const pending: PendingBuild = {
    layer: { layerName: target.layerName, entry: target.entry, kind: target.kind, runtimes: target.runtimes, architectures: target.architectures, description: layer.description, updatedAt: builtAt },
    build: {
      layerName: target.layerName,
      sha256: zip.sha256,
      codeSha256: zip.codeSha256,
      size: zip.size,
      unzippedSize: zip.unzippedSize,
      inputHash,
      artifactKey,
      description: layer.description,
      licenseInfo: layer.licenseInfo,
      packageVersion: layer.packageVersion,
      manifest: built.manifest,
      sbomKey,
      builtAt,
    },
  };
  const pendingKey = pendingKeyOf(event.runId, target.layerName);
  await deps.artifacts.putText(pendingKey, JSON.stringify(pending), 'application/json');
  const checks = verifyChecksOf(event.runId, target, deps.verifyFunctions);
  log(`built ${zip.size} bytes zipped, ${zip.unzippedSize} unzipped, sha256 ${zip.sha256.slice(0, 12)}; to verify on ${checks.map((c) => `${c.runtime} ${c.architecture}`).join(', ')}`);
  return { ...result(layer, false), pendingKey, checks };
}

