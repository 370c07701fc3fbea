import { CreateBucketCommand, HeadBucketCommand, S3Client, type BucketLocationConstraint } from '@aws-sdk/client-s3';
import { stagingBucketName } from '../../functions/publish/staging';
import { LAMBDA_REGIONS } from '../../functions/regions/lambda-regions';
import { mapLimit } from '../../functions/shared/handler-runtime';

/** The local account (ARNs of the layer-API emulator) and the embedded deployment's id in staging bucket names. */
export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_DEPLOYMENT_ID = 'local';

/**
 * Creates a bucket in a region, as S3 does: the request is signed for that region, and outside us-east-1 it names
 * the region as its LocationConstraint (us-east-1 takes none). An existing bucket is left as it is.
 */
export async function ensureBucketInRegion(name: string, region: string): Promise<void> {
  const client = new S3Client({ region, forcePathStyle: true });
  try {
    await client.send(new HeadBucketCommand({ Bucket: name }));
  } catch {
    await client.send(
      new CreateBucketCommand({
        Bucket: name,
        CreateBucketConfiguration: region === 'us-east-1' ? undefined : { LocationConstraint: region as BucketLocationConstraint },
      }),
    );
  } finally {
    client.destroy();
  }
}

/**
 * What `cdk deploy --all` does for the embedded default: a staging bucket in every region the pipeline may publish
 * to, named as the deployed Publish derives it (functions/publish/staging.ts). Returns the environment that tells
 * Publish about them, the same variables CDK sets.
 */
export async function createLocalStagingBuckets(regions: readonly string[] = LAMBDA_REGIONS): Promise<Record<string, string>> {
  await mapLimit([...regions], 8, (region) => ensureBucketInRegion(stagingBucketName(LOCAL_DEPLOYMENT_ID, LOCAL_ACCOUNT_ID, region), region));
  return { LAMINA_ACCOUNT_ID: LOCAL_ACCOUNT_ID, LAMINA_DEPLOYMENT_ID: LOCAL_DEPLOYMENT_ID, LAMINA_STAGING_REGIONS: regions.join(',') };
}
