import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeDeterministicZip } from '../archive/deterministic-zip';
import type { ArtifactStore } from '../aws/artifacts';
import type { Architecture, ResolvedTarget } from '../layers/kind';
import type { VerifyTargetEvent, VerifyTargetResult } from '../shared/pipeline-events';
import { unpackForVerify, verifyOn, type EnvironmentOf } from './verify';

export interface VerifyTargetDeps {
  artifacts: Pick<ArtifactStore, 'download' | 'getText' | 'putFile'>;
  /** Where this runs: the verify function itself on AWS (nativeEnvironment), this machine locally (hostEnvironment). */
  environmentOf: EnvironmentOf;
  tmpDir: string;
  cacheDir?: string;
  log?: (message: string) => void;
  now?: () => Date;
}

/** Files below `dir` (relative, `/`-separated) that are not in `known`: what a verification added. */
async function addedFiles(dir: string, known: Set<string>, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const name = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) found.push(...(await addedFiles(dir, known, name)));
    else if (entry.isFile() && !known.has(name)) found.push(name);
  }
  return found;
}

/**
 * One verify function's work (Node.js side: npm, node-runtime, bash-runtime on AWS; every kind locally): the built
 * zip is fetched and unzipped, the kind proves it on this runtime × architecture, and whatever the kind added
 * (Python bytecode) goes back to the artifact store as a zip of just those files, for Seal.
 */
export async function verifyTarget(event: VerifyTargetEvent, deps: VerifyTargetDeps): Promise<VerifyTargetResult> {
  const { check } = event;
  const log = (message: string) => deps.log?.(`${event.layerName} ${check.runtime} ${check.architecture}: ${message}`);
  const target = JSON.parse(await deps.artifacts.getText(event.targetKey)) as ResolvedTarget;
  const builtZip = path.join(deps.tmpDir, 'built.zip');
  await deps.artifacts.download(event.artifactKey, builtZip);
  const layerDir = path.join(deps.tmpDir, 'layer');
  const raws = await unpackForVerify(builtZip, layerDir);
  await fs.rm(builtZip, { force: true });
  const ctx = { workDir: path.join(deps.tmpDir, 'work'), cacheDir: deps.cacheDir ?? path.join(deps.tmpDir, 'cache'), log };
  const { verification, changed } = await verifyOn(target, { runtime: check.runtime, architecture: check.architecture as Architecture }, layerDir, deps.environmentOf, ctx, deps.now);
  log(verification.status);
  if (!changed || verification.status !== 'verified') return verification;
  const added = await addedFiles(layerDir, new Set(raws.map((raw) => raw.name)));
  const changesDir = path.join(deps.tmpDir, 'changes');
  for (const name of added) {
    await fs.mkdir(path.dirname(path.join(changesDir, name)), { recursive: true });
    await fs.rename(path.join(layerDir, name), path.join(changesDir, name));
  }
  const changes = await writeDeterministicZip(changesDir, path.join(deps.tmpDir, 'changes.zip'));
  await deps.artifacts.putFile(check.changesKey, changes.path);
  log(`${added.length} added file(s) stored for Seal`);
  return { ...verification, changesKey: check.changesKey };
}
