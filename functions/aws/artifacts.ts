import { CopyObjectCommand, DeleteObjectCommand, GetBucketLocationCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import type { Digest } from '../archive/digest';
import { sharedClient } from './clients';
import { CLIENT_SETTINGS, usesCustomEndpoint } from './endpoints';

/** S3 stand-ins speak path-style addressing and no aws-chunked checksum trailers. */
function s3StandInSettings() {
  const custom = usesCustomEndpoint('S3');
  return {
    forcePathStyle: custom,
    requestChecksumCalculation: custom ? ('WHEN_REQUIRED' as const) : ('WHEN_SUPPORTED' as const),
    responseChecksumValidation: custom ? ('WHEN_REQUIRED' as const) : ('WHEN_SUPPORTED' as const),
  };
}

/** The process's S3 client for `region` (the environment's region when none): functions/aws/clients.ts. */
function s3Client(region?: string): S3Client {
  return sharedClient('S3', region ?? '', () => new S3Client({ ...CLIENT_SETTINGS, ...s3StandInSettings(), ...(region ? { region } : {}) }));
}

/** Files up to this size are uploaded from memory (retryable); larger ones are streamed. */
const BUFFERED_UPLOAD_BYTES = 16 * 1024 * 1024;

/** The artifact store: the S3 bucket that holds built zips, their SBOMs and the static listing export. */
export class ArtifactStore {
  constructor(
    readonly bucket: string,
    private readonly s3: S3Client = s3Client(),
  ) {}

  static fromEnvironment(): ArtifactStore {
    const bucket = process.env.LAMINA_BUCKET;
    if (!bucket) throw new Error('LAMINA_BUCKET is not set: it names the S3 bucket lamina stores built layers in');
    return new ArtifactStore(bucket);
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (error as Error).name === 'NotFound' || (error as Error).name === 'NoSuchKey') return false;
      throw error;
    }
  }

  /**
   * Uploads a local file: from memory up to BUFFERED_UPLOAD_BYTES, so that the SDK can retry the request (a stream
   * cannot be sent twice, and a connection reset under load would fail the build), streamed above that with its
   * size given so nothing is buffered whole.
   */
  async putFile(key: string, file: string, contentType = 'application/zip'): Promise<void> {
    const { size } = await fs.stat(file);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: size <= BUFFERED_UPLOAD_BYTES ? await fs.readFile(file) : createReadStream(file),
        ContentLength: size,
        ContentType: contentType,
      }),
    );
  }

  async putText(key: string, body: string, contentType: string, cacheControl?: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType, CacheControl: cacheControl }),
    );
  }

  async getBuffer(key: string): Promise<Buffer> {
    const response = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return Buffer.from(await response.Body!.transformToByteArray());
  }

  async getText(key: string): Promise<string> {
    return (await this.getBuffer(key)).toString('utf8');
  }

  /**
   * Copies an object server-side into a bucket of a region (PublishLayerVersion reads S3 only in the layer's
   * region). The request goes to the destination's region, as S3 wants for a cross-region copy; `expectedOwner`
   * makes S3 refuse a bucket of the same name that another account owns (deterministic names can be taken).
   */
  async copyTo(destination: { bucket: string; region: string; key: string; expectedOwner?: string }, key: string): Promise<void> {
    const client = this.regionalClient(destination.region);
    try {
      await client.send(
        new CopyObjectCommand({
          Bucket: destination.bucket,
          Key: destination.key,
          CopySource: `${this.bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`,
          ExpectedBucketOwner: destination.expectedOwner,
        }),
      );
    } finally {
      client.destroy();
    }
  }

  /** Deletes an object of a bucket in a region (a staged copy, once Lambda has taken its content). */
  async deleteIn(target: { bucket: string; region: string; key: string; expectedOwner?: string }): Promise<void> {
    const client = this.regionalClient(target.region);
    try {
      await client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: target.key, ExpectedBucketOwner: target.expectedOwner }));
    } finally {
      client.destroy();
    }
  }

  /** The region this bucket is in (GetBucketLocation: empty means us-east-1, and the legacy `EU` eu-west-1). */
  async region(): Promise<string> {
    const { LocationConstraint } = await this.s3.send(new GetBucketLocationCommand({ Bucket: this.bucket }));
    if (!LocationConstraint) return 'us-east-1';
    return LocationConstraint === 'EU' ? 'eu-west-1' : LocationConstraint;
  }

  private regionalClient(region: string): S3Client {
    return s3Client(region);
  }

  /** The sha256 of a stored object, streamed (never held whole); undefined when there is no such object. */
  async digest(key: string): Promise<Digest | undefined> {
    let response;
    try {
      response = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey' || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
      throw error;
    }
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of response.Body as Readable) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    const digest = hash.digest();
    return { sha256: digest.toString('hex'), codeSha256: digest.toString('base64'), size };
  }

  /** Streams an object down to a local file. */
  async download(key: string, file: string): Promise<void> {
    const response = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    await fs.mkdir(path.dirname(file), { recursive: true });
    await pipeline(response.Body as Readable, createWriteStream(file));
  }
}
