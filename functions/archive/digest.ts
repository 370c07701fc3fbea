import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface Digest {
  /** sha256, lowercase hex. */
  sha256: string;
  /** The same sha256 in base64: the form Lambda reports as CodeSha256. */
  codeSha256: string;
  size: number;
}

export function digestOf(data: Buffer): Digest {
  const hash = createHash('sha256').update(data).digest();
  return { sha256: hash.toString('hex'), codeSha256: hash.toString('base64'), size: data.length };
}

/** Streams a file through sha256 without holding it in memory. */
export async function digestFile(file: string): Promise<Digest> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  const digest = hash.digest();
  return { sha256: digest.toString('hex'), codeSha256: digest.toString('base64'), size };
}
