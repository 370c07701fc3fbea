import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ArtifactStore } from '../aws/artifacts';
import { artifactKeyOf, MAX_UNZIPPED_BYTES } from '../build/build';
import type { SealEvent, SealResult } from '../shared/pipeline-events';
import type { LayerStore } from '../store/layer-store';
import type { Verification } from '../../schema/table';
import type { PendingBuild } from '../verify/checks';
import { sealVerifiedZip } from '../verify/layer-under-verification';
import { LayerNotVerified, publishDecision } from '../verify/verify';

export interface SealDeps {
  store: Pick<LayerStore, 'putLayer' | 'putBuild' | 'putOutcome'>;
  artifacts: Pick<ArtifactStore, 'download' | 'getText' | 'putFile'>;
  tmpDir: string;
  log?: (message: string) => void;
  /** Lower in tests; Lambda's real limit otherwise. */
  maxUnzippedBytes?: number;
}

/**
 * After Verify: decides whether the layer may be published (a failure never; "not verified" as the catalog
 * allows), makes the zip to publish (the built zip plus what Verify added, e.g. Python bytecode; the 250 MB guard
 * again), and records the build with the published zip's sha256 and how it was verified, so that Plan's
 * "unchanged" and Publish's artifact check both see the verified zip. A refused unverified layer is skipped in
 * every region (reason not-verified) and the run goes on.
 */
export async function seal(event: SealEvent, deps: SealDeps): Promise<SealResult> {
  const { layer } = event;
  const log = (message: string) => deps.log?.(`${layer.layerName}: ${message}`);
  const passOn = (regions: string[], sealed = layer): SealResult => ({ regions, layer: sealed });
  if (event.reused || !event.pendingKey) return passOn(event.regions);

  const verifications: Verification[] = event.verifications.map(({ changesKey: _changesKey, ...verification }) => verification);
  let warnings: string[];
  try {
    ({ warnings } = publishDecision(layer.layerName, verifications, event.settings.publishUnverified));
  } catch (error) {
    if (!(error instanceof LayerNotVerified)) throw error;
    log(error.message);
    for (const region of event.regions) {
      await deps.store.putOutcome(event.runId, { layerName: layer.layerName, region, status: 'skipped', reason: 'not-verified', detail: error.message });
    }
    return passOn([]);
  }
  for (const warning of warnings) log(`WARNING: ${warning}`);

  const pending = JSON.parse(await deps.artifacts.getText(event.pendingKey)) as PendingBuild;
  let sealed = { ...layer, verifications };
  const changes = event.verifications.filter((v) => v.changesKey);
  if (changes.length > 0) {
    const builtZip = path.join(deps.tmpDir, 'built.zip');
    await deps.artifacts.download(layer.artifactKey, builtZip);
    // Nothing is unzipped: the built zip's entries are copied as they are, what Verify added is deflated once.
    const added: string[] = [];
    for (const verification of changes) {
      const file = path.join(deps.tmpDir, `changes-${verification.runtime}-${verification.architecture}.zip`);
      await deps.artifacts.download(verification.changesKey!, file);
      added.push(file);
    }
    const zip = await sealVerifiedZip(builtZip, added, path.join(deps.tmpDir, 'verified.zip'), deps.maxUnzippedBytes ?? MAX_UNZIPPED_BYTES, layer.layerName);
    const artifactKey = artifactKeyOf(layer.layerName, zip.sha256);
    await deps.artifacts.putFile(artifactKey, zip.path);
    log(`verified zip ${zip.size} bytes zipped, ${zip.unzippedSize} unzipped, sha256 ${zip.sha256.slice(0, 12)} (built ${layer.sha256.slice(0, 12)})`);
    sealed = { ...sealed, sha256: zip.sha256, codeSha256: zip.codeSha256, size: zip.size, unzippedSize: zip.unzippedSize, artifactKey };
    for (const file of added) await fs.rm(file, { force: true });
  }
  await deps.store.putLayer(pending.layer);
  await deps.store.putBuild({
    ...pending.build,
    sha256: sealed.sha256,
    codeSha256: sealed.codeSha256,
    size: sealed.size,
    unzippedSize: sealed.unzippedSize,
    artifactKey: sealed.artifactKey,
    ...(sealed.sha256 !== layer.sha256 ? { builtSha256: layer.sha256 } : {}),
    verifications,
  });
  return passOn(event.regions, sealed);
}
