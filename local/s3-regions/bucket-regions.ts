import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import * as path from 'node:path';

/** S3's region for a bucket created without a LocationConstraint. */
export const DEFAULT_BUCKET_REGION = 'us-east-1';

/** The part of a Koa context this middleware uses (s3rver is a Koa application; neither ships types here). */
interface KoaContext {
  method: string;
  path: string;
  querystring: string;
  req: IncomingMessage;
  status: number;
  body: unknown;
  type: string;
}

export type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

/**
 * The region of each bucket of the embedded S3. s3rver has no regions (it answers every GetBucketLocation with its
 * default), so lamina keeps them itself: the region a CreateBucket names (its LocationConstraint, us-east-1 when
 * there is none) is recorded in a JSON file of the state folder, GetBucketLocation answers from it in S3's shape,
 * and DeleteBucket forgets it. A bucket with no record (made before lamina kept them) is in us-east-1, as
 * s3rver said.
 */
export class BucketRegions {
  private regions = new Map<string, string>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string) {}

  /** Opens (or starts) the record in `file`. */
  static async open(file: string): Promise<BucketRegions> {
    const record = new BucketRegions(file);
    try {
      const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, string>;
      record.regions = new Map(Object.entries(parsed));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`cannot read the bucket regions of the embedded S3 in ${file} (${(error as Error).message}); delete the file to start over`);
      }
    }
    return record;
  }

  regionOf(bucket: string): string {
    return this.regions.get(bucket) ?? DEFAULT_BUCKET_REGION;
  }

  private set(bucket: string, region: string | undefined): Promise<void> {
    if (region === undefined) this.regions.delete(bucket);
    else this.regions.set(bucket, region);
    const snapshot = JSON.stringify(Object.fromEntries([...this.regions].sort(([a], [b]) => a.localeCompare(b))), null, 2);
    this.writing = this.writing.then(async () => {
      const partial = `${this.file}.${randomUUID()}.partial`;
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      await fs.writeFile(partial, snapshot);
      await fs.rename(partial, this.file);
    });
    return this.writing;
  }

  /** The Koa middleware that records and answers bucket regions; it goes first in s3rver's chain. */
  middleware(): KoaMiddleware {
    return async (ctx, next) => {
      const bucket = bucketOnly(ctx.path);
      if (!bucket) return next();
      const subresource = ctx.querystring.split('&')[0].split('=')[0];
      if (ctx.method === 'GET' && subresource === 'location') {
        await next();
        // s3rver answered (so the bucket exists): replace its default with the recorded region.
        if (ctx.status === 200) {
          const region = this.regionOf(bucket);
          ctx.type = 'application/xml';
          // S3 answers an empty LocationConstraint for us-east-1.
          ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${region === DEFAULT_BUCKET_REGION ? '' : region}</LocationConstraint>`;
        }
        return;
      }
      if (ctx.method === 'PUT' && subresource === '') {
        const body = await readBody(ctx.req);
        const constraint = /<LocationConstraint>([^<]*)<\/LocationConstraint>/.exec(body)?.[1]?.trim() || undefined;
        const signedFor = signingRegion(ctx.req);
        const refusal = checkLocation(constraint, signedFor);
        if (refusal) {
          s3Error(ctx, 400, refusal.code, refusal.message);
          return;
        }
        await next();
        if (ctx.status === 200) await this.set(bucket, constraint ?? DEFAULT_BUCKET_REGION);
        return;
      }
      if (ctx.method === 'DELETE' && subresource === '') {
        await next();
        if (ctx.status === 204) await this.set(bucket, undefined);
        return;
      }
      return next();
    };
  }

  /** Waits for pending writes of the record. */
  idle(): Promise<void> {
    return this.writing;
  }
}

/** The bucket of a path-style request addressed to the bucket itself (`/bucket` or `/bucket/`), not to a key. */
function bucketOnly(requestPath: string): string | undefined {
  const match = /^\/([^/]+)\/?$/.exec(requestPath);
  return match ? decodeURIComponent(match[1]) : undefined;
}

function signingRegion(req: IncomingMessage): string | undefined {
  const credential = /Credential=[^/]+\/\d{8}\/([^/]+)\/s3\/aws4_request/.exec(req.headers.authorization ?? '');
  return credential?.[1];
}

/**
 * CreateBucket's region rules: us-east-1 takes no LocationConstraint (naming it is InvalidLocationConstraint), and
 * a request signed for another region must name that region.
 */
function checkLocation(constraint: string | undefined, signedFor: string | undefined): { code: string; message: string } | undefined {
  if (constraint === DEFAULT_BUCKET_REGION) {
    return { code: 'InvalidLocationConstraint', message: 'The specified location-constraint is not valid' };
  }
  if (signedFor && signedFor !== DEFAULT_BUCKET_REGION && constraint !== signedFor) {
    return {
      code: 'IllegalLocationConstraintException',
      message: `The ${constraint ?? 'unspecified'} location constraint is incompatible for the region specific endpoint this request was sent to.`,
    };
  }
  return undefined;
}

function s3Error(ctx: KoaContext, status: number, code: string, message: string): void {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${randomUUID()}</RequestId></Error>`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
