import { createHash } from 'node:crypto';
import { DuplicateZipEntryError, listZip } from '../../functions/archive/extract-zip';
import { LIMITS } from './constraints';
import { invalidParameter } from './errors';

/** Reads an S3 object for PublishLayerVersion's S3Bucket/S3Key content (S3ObjectVersion passed when given). */
export type ReadS3Object = (bucket: string, key: string, version?: string) => Promise<Buffer>;

/** The region an S3 bucket is in (GetBucketLocation), or undefined when S3 does not say. */
export type S3BucketRegion = (bucket: string) => Promise<string | undefined>;

/** Where the request is served, and how to find a bucket's region: Lambda reads S3 only in its own region. */
export interface S3ReadContext {
  region: string;
  bucketRegion?: S3BucketRegion;
}

/** The Content member of a PublishLayerVersion request, as the SDK serializes it. */
export interface LayerContentInput {
  ZipFile?: string;
  S3Bucket?: string;
  S3Key?: string;
  S3ObjectVersion?: string;
}

/** A layer zip that passed Lambda's checks, with the digests Lambda reports. */
export interface InspectedZip {
  data: Buffer;
  sha256Hex: string;
  /** base64 of the sha256 of the zip bytes, as Lambda reports CodeSha256. */
  codeSha256: string;
  codeSize: number;
  unzippedSize: number;
}

/**
 * Fetches the zip bytes a PublishLayerVersion request names. The direct-upload limit is AWS's limit on the whole
 * request (MAX_PUBLISH_REQUEST_BYTES, enforced on the body before it is parsed), not on the zip: a zip slightly over
 * 50 MiB whose base64 request fits is accepted, as it is by AWS.
 */
export async function loadLayerContent(content: LayerContentInput, readS3Object?: ReadS3Object, where?: S3ReadContext): Promise<Buffer> {
  const fromS3 = content.S3Bucket !== undefined || content.S3Key !== undefined;
  if (content.ZipFile !== undefined && fromS3) {
    throw invalidParameter('Please provide either a ZipFile or an S3Bucket and S3Key as the layer content, not both.');
  }
  if (content.ZipFile !== undefined) {
    if (typeof content.ZipFile !== 'string') throw invalidParameter('Content.ZipFile must be base64-encoded zip bytes.');
    return Buffer.from(content.ZipFile, 'base64');
  }
  if (!fromS3) throw invalidParameter('Please provide a source for the layer content: a ZipFile, or an S3Bucket and S3Key.');
  if (!content.S3Bucket || !content.S3Key) {
    throw invalidParameter('Both S3Bucket and S3Key are required to publish layer content from S3.');
  }
  if (!readS3Object) {
    throw invalidParameter(
      `Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: this emulator was started without readS3Object, so it cannot read s3://${content.S3Bucket}/${content.S3Key}.`,
    );
  }
  try {
    const bucketRegion = await where?.bucketRegion?.(content.S3Bucket);
    if (bucketRegion && where && bucketRegion !== where.region) {
      // What Lambda answers when the bucket is in another region (S3 redirects its GetObject).
      throw Object.assign(new Error(`The bucket is in this region: ${bucketRegion}. Please use this region to retry the request`), {
        Code: 'PermanentRedirect',
      });
    }
    return await readS3Object(content.S3Bucket, content.S3Key, content.S3ObjectVersion);
  } catch (error) {
    const code = (error as { Code?: string; name?: string }).Code ?? (error as Error).name ?? 'InternalError';
    throw invalidParameter(`Error occurred while GetObject. S3 Error Code: ${code}. S3 Error Message: ${(error as Error).message}`);
  }
}

/** Checks that `data` is a zip within Lambda's unzipped-size limit (from its central directory) and digests it. */
export async function inspectLayerZip(data: Buffer): Promise<InspectedZip> {
  let unzippedSize = 0;
  try {
    for (const entry of await listZip(data)) unzippedSize += entry.uncompressedSize;
  } catch (error) {
    // lamina refuses what AWS may take: a layer whose entries mean two things is not one to publish.
    if (error instanceof DuplicateZipEntryError) throw invalidParameter(`Could not unzip uploaded file: it has two entries for ${JSON.stringify(error.entryName)}. Rebuild the zip so that each path appears once.`);
    throw invalidParameter('Could not unzip uploaded file. Please check your file, then try to upload again.');
  }
  if (unzippedSize > LIMITS.unzippedBytes) {
    throw invalidParameter(`Unzipped size must be smaller than ${LIMITS.unzippedBytes} bytes`);
  }
  const digest = createHash('sha256').update(data).digest();
  return { data, sha256Hex: digest.toString('hex'), codeSha256: digest.toString('base64'), codeSize: data.length, unzippedSize };
}
