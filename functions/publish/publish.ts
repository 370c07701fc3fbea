import type { LayerApi, PublishRequest } from '../aws/lambda-layers';
import { BuildError } from '../layers/kind';
import { MAX_DIRECT_UPLOAD_BYTES } from '../layers/limits';
import type { ArtifactStore } from '../aws/artifacts';
import type { PublishEvent } from '../shared/pipeline-events';
import type { LayerStore } from '../store/layer-store';
import type { RunOutcome, Verification } from '../../schema/table';
import { describeVerification } from '../verify/verify';
import { checkUnzippedSize, needsStaging, stageLayer, type StageDeps, type StagedContent } from './staging';

export { MAX_DIRECT_UPLOAD_BYTES };

export interface PublishDeps {
  api: Pick<LayerApi, 'newestVersion' | 'publish' | 'applyVisibility'>;
  store: Pick<LayerStore, 'recordPublished' | 'putOutcome'>;
  artifacts: Pick<ArtifactStore, 'getBuffer' | 'copyTo' | 'deleteIn'>;
  /** Where zips over 50 MB are staged in each region (functions/publish/staging.ts). */
  staging: StageDeps['staging'];
  log?: (message: string) => void;
  now?: () => Date;
}

/**
 * Publishes one built layer to one region, idempotently: when the region's newest version already has this
 * CodeSha256 it publishes nothing. Either way it sets the version's permissions exactly as configured and records
 * the version (then the latest pointer) in the table.
 */
export async function publish(event: PublishEvent, deps: PublishDeps): Promise<RunOutcome> {
  const { layer, region, settings } = event;
  const log = (message: string) => deps.log?.(`${layer.layerName} ${region}: ${message}`);
  const newest = await deps.api.newestVersion(layer.layerName);
  let version = newest;
  let status: RunOutcome['status'] = 'unchanged';
  if (!newest || newest.codeSha256 !== layer.codeSha256) {
    checkUnzippedSize(layer, region);
    let staged: StagedContent | undefined;
    let content: PublishRequest['content'];
    if (!needsStaging(layer)) {
      content = { zipFile: await deps.artifacts.getBuffer(layer.artifactKey) };
    } else {
      staged = await stageLayer(event.runId, layer, region, { artifacts: deps.artifacts, staging: deps.staging, log });
      content = { s3Bucket: staged.s3Bucket, s3Key: staged.s3Key };
    }
    try {
      version = await deps.api.publish({
        layerName: layer.layerName,
        description: layer.description,
        licenseInfo: layer.licenseInfo,
        runtimes: layer.runtimes,
        architectures: layer.architectures,
        content,
      });
    } finally {
      // Lambda has its own copy once PublishLayerVersion answers; after a failure a retry stages again.
      await staged?.release();
    }
    if (version.codeSha256 !== layer.codeSha256) {
      throw new BuildError(
        `${layer.layerName} ${region}: Lambda reports CodeSha256 ${version.codeSha256} for version ${version.version}, but the built zip is ${layer.codeSha256}; the artifact changed in transit`,
      );
    }
    status = 'published';
    log(`published version ${version.version}`);
  } else {
    log(`version ${newest.version} already holds this content`);
  }
  const permissions = await deps.api.applyVisibility(layer.layerName, version!.version, settings.visibility);
  if (permissions.added.length || permissions.removed.length) {
    log(`permissions: added ${permissions.added.join(', ') || 'none'}, removed ${permissions.removed.join(', ') || 'none'}`);
  }
  await deps.store.recordPublished(
    {
      layerName: layer.layerName,
      region,
      version: version!.version,
      arn: version!.arn,
      layerArn: version!.layerArn,
      sha256: layer.sha256,
      codeSha256: layer.codeSha256,
      entry: layer.entry,
      kind: layer.kind,
      runtimes: layer.runtimes,
      architectures: layer.architectures,
      description: layer.description,
      packageVersion: layer.packageVersion,
      size: layer.size,
      publishedAt: version!.createdDate,
      ...(layer.verifications ? { verifications: layer.verifications } : {}),
    },
    settings.expiryDays,
    deps.now?.(),
  );
  const outcome: RunOutcome = { layerName: layer.layerName, region, status, version: version!.version, arn: version!.arn, ...unverifiedNote(layer.verifications) };
  await deps.store.putOutcome(event.runId, outcome);
  return outcome;
}

/** A layer let through unverified says so in its outcome, so the run summary shows it (never silently). */
function unverifiedNote(verifications: Verification[] | undefined): Pick<RunOutcome, 'reason' | 'detail'> {
  const unverified = (verifications ?? []).filter((v) => v.status === 'not verified');
  if (unverified.length === 0) return {};
  return { reason: 'not-verified', detail: `published NOT VERIFIED: ${unverified.map(describeVerification).join('; ')}` };
}
