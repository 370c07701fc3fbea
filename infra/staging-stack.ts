import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { stagingBucketName } from '../functions/publish/staging';
import { ARTIFACT_PREFIXES } from './artifact-bucket';

export interface StagingStackProps extends StackProps {
  /** The region of the bucket; the stack is deployed there (`env.region`). */
  region: string;
  deploymentId: string;
}

/** How long a staged copy may outlive a Publish that could not delete it (S3 lifecycle works in whole days). */
export const STAGED_OBJECT_DAYS = 1;

/**
 * One region's staging bucket: zips over 50 MB are copied here so PublishLayerVersion can read them in the layer's
 * region (functions/publish/staging.ts). Nothing in it outlives a publish: the copy is deleted once published and
 * the lifecycle rule removes what a failed run left, so there is no versioning and the bucket may be destroyed with
 * its stack. Private, SSL only, encrypted with S3-managed keys (Lambda reads it with the caller's permissions; SSE-KMS
 * would need kms:Decrypt). The name is derived, not exported: no cross-region reference ties the stacks together.
 */
export class StagingStack extends Stack {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: StagingStackProps) {
    super(scope, id, { ...props, env: { ...props.env, region: props.region } });
    this.bucket = new s3.Bucket(this, 'StagingBucket', {
      bucketName: stagingBucketName(props.deploymentId, Aws.ACCOUNT_ID, props.region),
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      removalPolicy: RemovalPolicy.DESTROY,
      lifecycleRules: [
        {
          id: 'expire-staged-layers',
          prefix: ARTIFACT_PREFIXES.layers,
          expiration: Duration.days(STAGED_OBJECT_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(STAGED_OBJECT_DAYS),
        },
      ],
    });
    new CfnOutput(this, 'StagingBucketName', { value: this.bucket.bucketName });
  }
}
