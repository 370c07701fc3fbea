import type { ArtifactStore } from '../aws/artifacts';
import type { LayerApi, PublishRequest } from '../aws/lambda-layers';
import { BuildError } from '../layers/kind';
import type { PublishEvent } from '../shared/pipeline-events';
import type { LayerStore } from '../store/layer-store';
import type { RunOutcome } from '../../schema/table';

/** Lambda's limit on a zip uploaded directly in the request (larger ones go through S3). */
export const MAX_DIRECT_UPLOAD_BYTES = 52_428_800;

export interface PublishDeps {
  api: Pick<LayerApi, 'newestVersion' | 'publish' | 'applyVisibility'>;
  store: Pick<LayerStore, 'recordPublished' | 'putOutcome'>;
  artifacts: Pick<ArtifactStore, 'getBuffer' | 'bucket' | 'copyTo'>;
  /**
   * The S3 bucket PublishLayerVersion may read in this region (it must be in the layer's region), or undefined
   * when there is none; only zips over 50 MB need one.
   */
  bucketInRegion?: (region: string) => string | undefined;
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
    let content: PublishRequest['content'];
    if (layer.size <= MAX_DIRECT_UPLOAD_BYTES) {
      content = { zipFile: await deps.artifacts.getBuffer(layer.artifactKey) };
    } else {
      const bucket = deps.bucketInRegion?.(region);
      if (!bucket) {
        throw new BuildError(
          `${layer.layerName} is ${layer.size} bytes zipped, over the ${MAX_DIRECT_UPLOAD_BYTES}-byte direct upload limit, and ${region} has no ` +
            'staging bucket; list the region under stagingBuckets in the deployment (see README: large layers)',
        );
      }
      if (bucket !== deps.artifacts.bucket) {
        log(`copying ${layer.artifactKey} to ${bucket} (${layer.size} bytes is over the direct upload limit)`);
        await deps.artifacts.copyTo(bucket, region, layer.artifactKey);
      }
      content = { s3Bucket: bucket, s3Key: layer.artifactKey };
    }
    version = await deps.api.publish({
      layerName: layer.layerName,
      description: layer.description,
      licenseInfo: layer.licenseInfo,
      runtimes: layer.runtimes,
      architectures: layer.architectures,
      content,
    });
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
    },
    settings.expiryDays,
    deps.now?.(),
  );
  const outcome: RunOutcome = { layerName: layer.layerName, region, status, version: version!.version, arn: version!.arn };
  await deps.store.putOutcome(event.runId, outcome);
  return outcome;
}
