import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ArtifactStore } from '../aws/artifacts';
import type { Architecture, ResolvedTarget } from '../layers/kind';
import type { VerifyTargetEvent, VerifyTargetResult } from '../shared/pipeline-events';
import { LayerUnderVerification } from './layer-under-verification';
import { verifyOn, type EnvironmentOf } from './verify';

export interface VerifyTargetDeps {
  artifacts: Pick<ArtifactStore, 'download' | 'getText' | 'putFile'>;
  /** Where this runs: the verify function itself on AWS (nativeEnvironment), this machine locally (hostEnvironment). */
  environmentOf: EnvironmentOf;
  tmpDir: string;
  cacheDir?: string;
  log?: (message: string) => void;
  now?: () => Date;
}

/**
 * One verify function's work (Node.js side: npm, node-runtime, bash-runtime on AWS; every kind locally): the built
 * zip is fetched, the kind proves it on this runtime × architecture (unzipped for the kinds that need the tree),
 * and whatever the kind added (Python bytecode) goes back to the artifact store as a zip of just those files, for
 * Seal.
 */
export async function verifyTarget(event: VerifyTargetEvent, deps: VerifyTargetDeps): Promise<VerifyTargetResult> {
  const { check } = event;
  const log = (message: string) => deps.log?.(`${event.layerName} ${check.runtime} ${check.architecture}: ${message}`);
  const target = JSON.parse(await deps.artifacts.getText(event.targetKey)) as ResolvedTarget;
  const builtZip = path.join(deps.tmpDir, 'built.zip');
  await deps.artifacts.download(event.artifactKey, builtZip);
  const layer = new LayerUnderVerification(builtZip, path.join(deps.tmpDir, 'verify'));
  try {
    const ctx = { workDir: path.join(deps.tmpDir, 'work'), cacheDir: deps.cacheDir ?? path.join(deps.tmpDir, 'cache'), log };
    const { verification, changed } = await verifyOn(target, { runtime: check.runtime, architecture: check.architecture as Architecture }, layer, deps.environmentOf, ctx, deps.now);
    log(verification.status);
    if (!changed || verification.status !== 'verified' || layer.changes.length === 0) return verification;
    await deps.artifacts.putFile(check.changesKey, layer.changes[0]);
    log(`what it added (${(await fs.stat(layer.changes[0])).size} bytes zipped) stored for Seal`);
    return { ...verification, changesKey: check.changesKey };
  } finally {
    await layer.dispose();
    await fs.rm(builtZip, { force: true });
  }
}
