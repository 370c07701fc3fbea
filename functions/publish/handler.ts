import { log } from '../shared/log';
import { ArtifactStore } from '../aws/artifacts';
import { LayerApi } from '../aws/lambda-layers';
import { lambdaHandler } from '../shared/handler-runtime';
import type { PublishEvent } from '../shared/pipeline-events';
import { LayerStore } from '../store/layer-store';
import { publish } from './publish';
import type { RunOutcome } from '../../schema/table';

/**
 * Staging buckets for zips over 50 MB, one per region (PublishLayerVersion reads S3 only in the layer's region):
 * LAMINA_STAGING_BUCKETS is a JSON object region → bucket; the artifact bucket serves its own region, and, locally,
 * every region (LAMINA_ARTIFACTS_ANY_REGION=1: the S3 stand-in has no regions).
 */
function bucketInRegion(region: string): string | undefined {
  const staging = JSON.parse(process.env.LAMINA_STAGING_BUCKETS ?? '{}') as Record<string, string>;
  if (staging[region]) return staging[region];
  if (process.env.LAMINA_ARTIFACTS_ANY_REGION === '1' || process.env.LAMINA_BUCKET_REGION === region) return process.env.LAMINA_BUCKET;
  return undefined;
}

export function run(event: PublishEvent): Promise<RunOutcome> {
  return publish(event, {
    api: new LayerApi(event.region),
    store: new LayerStore(),
    artifacts: ArtifactStore.fromEnvironment(),
    bucketInRegion,
    log,
  });
}

export const handler = lambdaHandler(run);
