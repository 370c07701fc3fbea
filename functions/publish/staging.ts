import { createHash } from 'node:crypto';
import type { ArtifactStore } from '../aws/artifacts';
import { BuildError, LaminaError } from '../layers/kind';
import { MAX_DIRECT_UPLOAD_BYTES, MAX_UNZIPPED_BYTES } from '../layers/limits';
import type { BuiltArtifact } from '../shared/pipeline-events';

/**
 * Staging: where a zip over 50 MB waits in its layer's region for PublishLayerVersion, which reads S3 only in the
 * layer's own region. The deployment creates one staging bucket per region it publishes to (infra/staging-stack.ts),
 * named from the account, the region and a deployment id, so Publish finds it without a map; a `stagingBuckets`
 * override names buckets the operator owns instead.
 */
export interface StagingConfig {
  /** Buckets named at deploy time, region → bucket: they win over the deployment's own. */
  overrides: Record<string, string>;
  /** The deployment's staging buckets: one in each of `regions`, named by stagingBucketName. */
  deployment?: { account: string; deploymentId: string; regions: string[] };
  /** The artifact bucket and its region: it serves its own region when no staging bucket does. */
  artifactBucket: string;
  artifactRegion?: string;
}

/** Where one region's large zip is published from. */
export interface StagingBucket {
  bucket: string;
  /** False for the artifact bucket itself: the zip is already there and is never deleted. */
  staged: boolean;
  /** The account that must own the bucket (S3 refuses the request otherwise). */
  expectedOwner?: string;
  origin: 'override' | 'deployment' | 'artifact bucket';
}

const DEPLOYMENT_ID = /^[a-z0-9]{1,12}$/;

/** Checks a deployment id: it becomes part of a bucket name. */
export function checkDeploymentId(id: string): string {
  if (!DEPLOYMENT_ID.test(id)) {
    throw new LaminaError(`deployment id ${JSON.stringify(id)} must be 1-12 lowercase letters or digits (it is part of each staging bucket's name)`);
  }
  return id;
}

/** A deployment id from a stack name: the name itself when it is short and plain, else a short hash of it. */
export function deploymentIdOf(stackName: string): string {
  const plain = stackName.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (plain.length > 0 && plain.length <= 12 && plain === stackName.toLowerCase()) return plain;
  return `${plain.slice(0, 4)}${createHash('sha256').update(stackName).digest('hex').slice(0, 8)}`;
}

/**
 * The staging bucket of a deployment in a region: `lamina-stage-<deployment>-<account>-<region>`, at most 55
 * characters. `account` may be a CloudFormation token (CDK names the bucket with the same function).
 */
export function stagingBucketName(deploymentId: string, account: string, region: string): string {
  return `lamina-stage-${checkDeploymentId(deploymentId)}-${account}-${region}`;
}

/** The bucket PublishLayerVersion reads a large zip from in `region`, or undefined when there is none. */
export function stagingBucketFor(region: string, config: StagingConfig): StagingBucket | undefined {
  const override = config.overrides[region];
  if (override) return { bucket: override, staged: override !== config.artifactBucket, origin: 'override' };
  const deployment = config.deployment;
  if (deployment && deployment.regions.includes(region)) {
    return {
      bucket: stagingBucketName(deployment.deploymentId, deployment.account, region),
      staged: true,
      expectedOwner: deployment.account,
      origin: 'deployment',
    };
  }
  if (config.artifactRegion === region) return { bucket: config.artifactBucket, staged: false, origin: 'artifact bucket' };
  return undefined;
}

/**
 * The staging configuration the handlers get from their environment (CDK and the local services set the same
 * variables): LAMINA_STAGING_BUCKETS (JSON region → bucket), LAMINA_ACCOUNT_ID, LAMINA_DEPLOYMENT_ID and
 * LAMINA_STAGING_REGIONS (comma-separated), LAMINA_BUCKET and LAMINA_BUCKET_REGION.
 */
export function stagingConfigFromEnvironment(env: NodeJS.ProcessEnv = process.env): StagingConfig {
  const overrides = JSON.parse(env.LAMINA_STAGING_BUCKETS || '{}') as Record<string, string>;
  const regions = (env.LAMINA_STAGING_REGIONS ?? '').split(',').filter(Boolean);
  return {
    overrides,
    deployment:
      env.LAMINA_ACCOUNT_ID && env.LAMINA_DEPLOYMENT_ID && regions.length > 0
        ? { account: env.LAMINA_ACCOUNT_ID, deploymentId: env.LAMINA_DEPLOYMENT_ID, regions }
        : undefined,
    artifactBucket: env.LAMINA_BUCKET ?? '',
    artifactRegion: env.LAMINA_BUCKET_REGION || undefined,
  };
}

/** A staging bucket that is missing or refuses lamina: names the bucket, the region and what to do. */
export class StagingBucketError extends LaminaError {
  constructor(message: string) {
    super(message, 'StagingBucketError');
  }
}

/** The key a staged copy gets: unique per run, so two runs never delete each other's copy. */
export function stagedKeyOf(runId: string, layer: Pick<BuiltArtifact, 'layerName' | 'sha256'>): string {
  return `layers/staged/${runId}/${layer.layerName}/${layer.sha256}.zip`;
}

/** The S3 content of a PublishLayerVersion request, and what to do once Lambda has taken it. */
export interface StagedContent {
  s3Bucket: string;
  s3Key: string;
  /** Deletes the staged copy (nothing for the artifact bucket); never throws: the lifecycle rule is the backstop. */
  release(): Promise<void>;
}

export interface StageDeps {
  artifacts: Pick<ArtifactStore, 'copyTo' | 'deleteIn'>;
  staging: StagingConfig;
  log?: (message: string) => void;
}

/** Checks Lambda's unzipped limit before anything is copied or uploaded anywhere. */
export function checkUnzippedSize(layer: Pick<BuiltArtifact, 'layerName' | 'unzippedSize'>, region: string): void {
  if (layer.unzippedSize > MAX_UNZIPPED_BYTES) {
    throw new BuildError(
      `${layer.layerName} ${region}: ${layer.unzippedSize} bytes unzipped, over Lambda's ${MAX_UNZIPPED_BYTES}-byte limit for a function and its layers; nothing was copied or published. Split the entry into smaller layers`,
    );
  }
}

export const needsStaging = (layer: Pick<BuiltArtifact, 'size'>) => layer.size > MAX_DIRECT_UPLOAD_BYTES;

const s3ErrorCode = (error: unknown) => (error as { Code?: string }).Code ?? (error as Error).name;

/**
 * Puts a large zip where PublishLayerVersion can read it in `region`: a server-side copy into the region's staging
 * bucket (no byte passes through the function), or the artifact bucket itself in its own region.
 */
export async function stageLayer(runId: string, layer: BuiltArtifact, region: string, deps: StageDeps): Promise<StagedContent> {
  const target = stagingBucketFor(region, deps.staging);
  if (!target) {
    throw new StagingBucketError(
      `${layer.layerName} is ${layer.size} bytes zipped, over the ${MAX_DIRECT_UPLOAD_BYTES}-byte direct upload limit, and ${region} has no ` +
        'staging bucket: the deployment stages in the catalog\'s regions (for regions: all, every built-in region not in excludeRegions); ' +
        'deploy with that region included (`npx cdk deploy --all`), or name a bucket there under stagingBuckets (see README: large layers)',
    );
  }
  if (!target.staged) {
    return { s3Bucket: target.bucket, s3Key: layer.artifactKey, release: async () => undefined };
  }
  const destination = { bucket: target.bucket, region, key: stagedKeyOf(runId, layer), expectedOwner: target.expectedOwner };
  deps.log?.(`copying ${layer.artifactKey} to s3://${destination.bucket}/${destination.key} (${layer.size} bytes is over the direct upload limit)`);
  try {
    await deps.artifacts.copyTo(destination, layer.artifactKey);
  } catch (error) {
    throw stagingFailure(error, destination.bucket, region, target);
  }
  return {
    s3Bucket: destination.bucket,
    s3Key: destination.key,
    release: async () => {
      try {
        await deps.artifacts.deleteIn(destination);
      } catch (error) {
        deps.log?.(`could not delete the staged copy s3://${destination.bucket}/${destination.key} (${s3ErrorCode(error)}); its lifecycle rule expires it`);
      }
    },
  };
}

function stagingFailure(error: unknown, bucket: string, region: string, target: StagingBucket): Error {
  const code = s3ErrorCode(error);
  const remedy =
    target.origin === 'override'
      ? `fix or remove the stagingBuckets entry for ${region} and redeploy`
      : `deploy the staging stack of ${region} (\`npx cdk deploy --all\`; run \`npx cdk bootstrap\` first if that region is not bootstrapped)`;
  if (code === 'NoSuchBucket') {
    return new StagingBucketError(`the staging bucket ${bucket} of ${region} does not exist (NoSuchBucket); ${remedy}`);
  }
  if (code === 'AccessDenied' || code === 'AllAccessDisabled' || code === 'Forbidden') {
    return new StagingBucketError(
      `lamina may not write to the staging bucket ${bucket} of ${region} (${code}): the publish role needs s3:PutObject on arn:aws:s3:::${bucket}/layers/*, and the bucket must belong to this account; ${remedy}`,
    );
  }
  return error as Error;
}
