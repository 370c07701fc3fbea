import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { BuildError } from '../kind';
import { partialPathFor } from '../../shared/partial-file';

/** An expected digest in Subresource Integrity form: `sha512-<base64>` (npm) or `sha256-<base64>`. */
export type Integrity = string;

/** Turns a hex sha256 (as in SHASUMS256.txt) into its SRI form. */
export function sha256Integrity(hex: string): Integrity {
  return `sha256-${Buffer.from(hex, 'hex').toString('base64')}`;
}

function parseIntegrity(integrity: Integrity): { algorithm: 'sha256' | 'sha512'; base64: string } {
  const match = /^(sha256|sha512)-([A-Za-z0-9+/=]+)$/.exec(integrity.trim().split(/\s+/)[0] ?? '');
  if (!match) throw new BuildError(`integrity ${JSON.stringify(integrity)} is not sha256-<base64> or sha512-<base64>`);
  return { algorithm: match[1] as 'sha256' | 'sha512', base64: match[2] };
}

async function digestOfFile(file: string, algorithm: string): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('base64');
}

/** Fetches a URL as text; a non-2xx answer is a BuildError naming the URL. */
export async function fetchText(url: string, headers: Record<string, string> = {}): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { headers });
  } catch (error) {
    throw new BuildError(`cannot reach ${url}: ${(error as Error).message}; check the network or the configured mirror`);
  }
  if (!response.ok) throw new BuildError(`${url} answered ${response.status} ${response.statusText}`);
  return response.text();
}

/**
 * Downloads `url` into `cacheDir` and verifies it against `integrity`; a cached copy is verified again before it
 * is reused (and fetched anew when it does not match). A download that does not match fails the build and leaves
 * nothing behind. Returns the verified file's path.
 */
export async function downloadVerified(url: string, integrity: Integrity, cacheDir: string, log: (line: string) => void = () => undefined): Promise<string> {
  const { algorithm, base64 } = parseIntegrity(integrity);
  const key = Buffer.from(base64, 'base64').toString('hex').slice(0, 16);
  const file = path.join(cacheDir, 'downloads', `${key}-${path.basename(new URL(url).pathname)}`);
  await fs.mkdir(path.dirname(file), { recursive: true });
  try {
    if ((await digestOfFile(file, algorithm)) === base64) {
      log(`using cached ${path.basename(file)} (${algorithm} verified)`);
      return file;
    }
    log(`cached ${path.basename(file)} does not match its ${algorithm}; downloading again`);
    await fs.rm(file, { force: true });
  } catch {
    // Not cached yet.
  }
  const partial = partialPathFor(file);
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new BuildError(`cannot download ${url}: ${(error as Error).message}; check the network or the configured mirror`);
  }
  if (!response.ok || !response.body) throw new BuildError(`cannot download ${url}: ${response.status} ${response.statusText}`);
  const hash = createHash(algorithm);
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as unknown as WebReadableStream), hashing, createWriteStream(partial));
    const actual = hash.digest('base64');
    if (actual !== base64) {
      throw new BuildError(
        `checksum mismatch for ${url}: its ${algorithm} is ${actual}, the expected one is ${base64}; the download is corrupt or the source was tampered with, nothing was built`,
      );
    }
    await fs.rename(partial, file);
  } finally {
    await fs.rm(partial, { force: true });
  }
  log(`downloaded ${url} (${algorithm} verified)`);
  return file;
}
