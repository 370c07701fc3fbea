import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/** Prefixes of the artifact bucket, by what writes them (see functions/build and functions/report). */
export const ARTIFACT_PREFIXES = { layers: 'layers/', listing: 'listing/', runs: 'runs/' } as const;

/**
 * The artifact bucket: built zips (and their SBOMs) under `layers/`, the static listing export under `listing/`,
 * and each run's resolved targets (Plan hands them to Build through here) under `runs/`.
 * Private, SSL only, encrypted with S3-managed keys (SSE-KMS would make Lambda's PublishLayerVersion need
 * kms:Decrypt on the caller's behalf), versioned so an overwritten zip can be recovered, and retained.
 */
export function createArtifactBucket(scope: Construct, id: string): s3.Bucket {
  return new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    versioned: true,
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules: [
      {
        id: 'expire-old-versions',
        // Zips are named by their content, so a noncurrent version is only ever an overwritten listing or a rerun.
        noncurrentVersionExpiration: Duration.days(30),
        noncurrentVersionsToRetain: 3,
        abortIncompleteMultipartUploadAfter: Duration.days(7),
        expiredObjectDeleteMarker: true,
      },
      // A run's resolved targets matter only while the run lasts.
      { id: 'expire-run-targets', prefix: ARTIFACT_PREFIXES.runs, expiration: Duration.days(7) },
    ],
  });
}
