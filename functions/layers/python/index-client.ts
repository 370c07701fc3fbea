import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { LaminaError } from '../kind';
import { normalizeName } from './pep508';
import { ACCEPT_HEADER, JSON_CONTENT_TYPE, parseHtmlPage, parseJsonPage, type IndexFile, type ProjectPage } from './simple-api';
import { sharedPromise } from '../../shared/handler-runtime';
import { partialPathFor } from '../../shared/partial-file';

/** PyPI's Simple API, the default index. */
export const PYPI_SIMPLE_URL = 'https://pypi.org/simple/';

export interface IndexClientOptions {
  /** Simple API root: `https://pypi.org/simple/`, a mirror, or a `file://` folder laid out `<project>/index.html`. */
  indexUrl: string;
  /** Attempts per request on 429, 5xx and network errors (default 4). */
  attempts?: number;
  /** First backoff delay in ms, doubled per attempt (default 500). */
  backoffMs?: number;
  /** Per-request timeout in ms (default 60 s). */
  timeoutMs?: number;
}

/** The index has no project of that name (404/410). */
export class PackageNotFoundError extends LaminaError {
  constructor(
    readonly project: string,
    readonly indexUrl: string,
  ) {
    super(`package ${JSON.stringify(project)} was not found on the index ${indexUrl}; check the name, or set \`index\` on the entry to the index that has it`, 'PackageNotFoundError');
  }
}

/** The index could not be read (after retries) or answered with something unusable. */
export class IndexError extends LaminaError {
  constructor(
    message: string,
    /** True when a later attempt may succeed (throttling, server or network trouble). */
    readonly retryable = false,
  ) {
    super(message, 'IndexError');
  }
}

/** A downloaded file's sha256 differs from the one the index publishes. */
export class HashMismatchError extends LaminaError {
  constructor(
    readonly filename: string,
    readonly url: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${filename} from ${url} has sha256 ${actual} but the index publishes ${expected}`, 'HashMismatchError');
  }
}

const RETRY_STATUS = (status: number) => status === 429 || status >= 500;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A client for one package index. Project pages are fetched once per client and shared by every caller; the
 * client never holds a whole distribution file in memory.
 */
export class IndexClient {
  readonly indexUrl: string;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;
  private readonly pages = new Map<string, Promise<ProjectPage>>();

  constructor(options: IndexClientOptions) {
    this.indexUrl = options.indexUrl.endsWith('/') ? options.indexUrl : `${options.indexUrl}/`;
    this.attempts = Math.max(1, options.attempts ?? 4);
    this.backoffMs = options.backoffMs ?? 500;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    const protocol = new URL(this.indexUrl).protocol;
    if (!['http:', 'https:', 'file:'].includes(protocol)) {
      throw new IndexError(`index URL ${options.indexUrl} must be http(s):// or file://`);
    }
  }

  /** The files of a project (normalized name), JSON first, HTML as fallback. Throws PackageNotFoundError. */
  project(name: string): Promise<ProjectPage> {
    const key = normalizeName(name);
    return sharedPromise(this.pages, key, () => this.fetchProject(key));
  }

  private async fetchProject(key: string): Promise<ProjectPage> {
    const pageUrl = new URL(`${encodeURIComponent(key)}/`, this.indexUrl).toString();
    if (pageUrl.startsWith('file:')) return this.readFileProject(key, pageUrl);
    const response = await this.request(pageUrl, { accept: ACCEPT_HEADER }, () => new PackageNotFoundError(key, this.indexUrl));
    const body = await response.text();
    const type = (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    try {
      const page = type === JSON_CONTENT_TYPE || type === 'application/json' ? parseJsonPage(body, response.url || pageUrl) : parseHtmlPage(body, response.url || pageUrl, key);
      return { ...page, name: page.name || key };
    } catch (error) {
      throw new IndexError(`the index page ${pageUrl} could not be read (${(error as Error).message}); check that ${this.indexUrl} is a Simple API (PEP 503/691) index`);
    }
  }

  private async readFileProject(key: string, pageUrl: string): Promise<ProjectPage> {
    const dir = fileURLToPath(pageUrl);
    for (const [file, parse] of [
      ['index.json', parseJsonPage],
      ['index.html', parseHtmlPage],
    ] as const) {
      const body = await fs.readFile(path.join(dir, file), 'utf8').catch(() => undefined);
      if (body !== undefined) {
        const page = parse(body, new URL(file, pageUrl).toString());
        return { ...page, name: page.name || key };
      }
    }
    throw new PackageNotFoundError(key, this.indexUrl);
  }

  /** Fetches a small text resource (a PEP 658 metadata file), verifying its sha256 when one is given. */
  async text(url: string, sha256?: string): Promise<string> {
    let body: Buffer;
    if (url.startsWith('file:')) body = await fs.readFile(fileURLToPath(url));
    else {
      const response = await this.request(url, {}, () => new IndexError(`${url} was not found on the index ${this.indexUrl}`));
      body = Buffer.from(await response.arrayBuffer());
    }
    if (sha256) {
      const actual = createHash('sha256').update(body).digest('hex');
      if (actual !== sha256.toLowerCase()) throw new HashMismatchError(path.basename(new URL(url).pathname), url, sha256, actual);
    }
    return body.toString('utf8');
  }

  /**
   * Streams a distribution file to `dest`, hashing it on the way; the file only appears at `dest` once its sha256
   * matches the index. Throws HashMismatchError (never retried: the bytes are wrong, not late).
   */
  async download(file: IndexFile, dest: string): Promise<void> {
    const expected = file.hashes.sha256;
    if (!expected) {
      throw new IndexError(`the index ${this.indexUrl} publishes no sha256 for ${file.filename}; lamina only installs files it can verify, use an index that publishes hashes`);
    }
    await fs.mkdir(path.dirname(dest), { recursive: true });
    const partial = partialPathFor(dest);
    let actual = '';
    for (let attempt = 1; ; attempt++) {
      const hash = createHash('sha256');
      const hasher = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          callback(null, chunk);
        },
      });
      try {
        let source: NodeJS.ReadableStream;
        if (file.url.startsWith('file:')) source = createReadStream(fileURLToPath(file.url));
        else {
          const response = await this.request(file.url, {}, () => new IndexError(`${file.filename} was not found at ${file.url}; the index ${this.indexUrl} lists a file it does not serve`), 1);
          if (!response.body) throw new IndexError(`${file.url} answered with no body`);
          source = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream);
        }
        await pipeline(source, hasher, createWriteStream(partial));
        actual = hash.digest('hex');
        break;
      } catch (error) {
        await fs.rm(partial, { force: true });
        if (error instanceof LaminaError && !(error instanceof IndexError && error.retryable)) throw error;
        if (attempt >= this.attempts) throw error instanceof LaminaError ? error : new IndexError(`downloading ${file.url} failed after ${attempt} attempts: ${(error as Error).message}`);
        await sleep(this.backoffMs * 2 ** (attempt - 1));
      }
    }
    if (actual !== expected.toLowerCase()) {
      await fs.rm(partial, { force: true });
      throw new HashMismatchError(file.filename, file.url, expected, actual);
    }
    await fs.rename(partial, dest);
  }

  /**
   * GET with retries on 429, 5xx and network errors (exponential backoff, Retry-After honoured up to 30 s).
   * `notFound` builds the error for 404/410.
   */
  private async request(url: string, headers: Record<string, string>, notFound: () => Error, attempts = this.attempts): Promise<Response> {
    let lastProblem = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let response: Response | undefined;
      try {
        response = await fetch(url, {
          headers: { 'user-agent': 'lamina', ...headers },
          signal: AbortSignal.timeout(this.timeoutMs),
          redirect: 'follow',
        });
      } catch (error) {
        lastProblem = (error as Error).message;
      }
      if (response) {
        if (response.ok) return response;
        if (response.status === 404 || response.status === 410) {
          await response.body?.cancel();
          throw notFound();
        }
        lastProblem = `answered ${response.status} ${response.statusText}`;
        const retryAfter = Number(response.headers.get('retry-after'));
        await response.body?.cancel();
        if (!RETRY_STATUS(response.status)) throw new IndexError(`${url} ${lastProblem}; check the index URL and its access rights`);
        if (attempt < attempts) {
          const wait = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, 30_000) : this.backoffMs * 2 ** (attempt - 1);
          await sleep(wait);
          continue;
        }
      } else if (attempt < attempts) {
        await sleep(this.backoffMs * 2 ** (attempt - 1));
        continue;
      }
    }
    throw new IndexError(`${url} failed after ${attempts} attempts (${lastProblem}); the index ${this.indexUrl} may be down, retry later`, true);
  }
}
