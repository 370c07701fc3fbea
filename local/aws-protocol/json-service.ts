import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { writeFileAtomically } from '../state-folder/journal';
import type { AddressInfo } from 'node:net';

/**
 * The server side of AWS's JSON protocols (awsJson1_0 for Step Functions, awsJson1_1 for SSM and EventBridge):
 * POST / with `X-Amz-Target: <prefix>.<Operation>` and a JSON body; errors are `{"__type", "message"}` with the
 * status AWS uses, which the SDK turns into an exception named after `__type`. lamina's local stand-ins share it.
 */

/** An error the service answers with: the SDK raises an exception whose `name` is `type`. */
export class AwsServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export interface RequestContext {
  /** The region the request is signed for (SigV4 credential scope), as AWS routes it. */
  region: string;
}

export type Operation = (input: Record<string, any>, context: RequestContext) => Promise<unknown> | unknown;

export interface JsonServiceOptions {
  /** `AWSStepFunctions`, `AmazonSSM`, `AWSEvents`. */
  targetPrefix: string;
  /** `1.0` or `1.1`: the Content-Type the SDK expects back. */
  version: '1.0' | '1.1';
  /** Region when a request carries no signature (curl, tests). */
  defaultRegion: string;
  operations: Record<string, Operation>;
  host?: string;
  port?: number;
  /** Largest request body; AWS's own limits are per operation and checked by it. */
  maxBodyBytes?: number;
}

export interface JsonService {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The region of a SigV4-signed request: `Credential=AKID/20260101/<region>/<service>/aws4_request`. */
export function signedRegion(request: IncomingMessage, fallback: string): string {
  const match = /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(request.headers.authorization ?? '');
  return match?.[1] ?? fallback;
}

function readJson(request: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    request.on('error', reject);
    request.on('end', () => {
      if (size > limit) return reject(new AwsServiceError('RequestEntityTooLargeException', `request body is over ${limit} bytes`, 413));
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new AwsServiceError('SerializationException', 'the request body is not valid JSON'));
      }
    });
  });
}

function send(response: ServerResponse, status: number, contentType: string, body: unknown, errorType?: string): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  };
  if (errorType) headers['x-amzn-errortype'] = errorType;
  response.writeHead(status, headers);
  response.end(text);
}

/** Starts one JSON-protocol service on 127.0.0.1 (port 0: any free port). */
export async function startJsonService(options: JsonServiceOptions): Promise<JsonService> {
  const contentType = `application/x-amz-json-${options.version}`;
  const limit = options.maxBodyBytes ?? 1_048_576;
  const server = createServer((request, response) => {
    void (async () => {
      try {
        if (request.method !== 'POST') throw new AwsServiceError('UnknownOperationException', `${request.method} is not supported: AWS JSON services take POST /`, 404);
        const target = String(request.headers['x-amz-target'] ?? '');
        const [prefix, name] = target.split('.');
        const operation = prefix === options.targetPrefix ? options.operations[name] : undefined;
        const input = await readJson(request, limit);
        if (!operation) throw new AwsServiceError('UnknownOperationException', `operation ${JSON.stringify(target)} is not one this stand-in serves`);
        if (!input || typeof input !== 'object' || Array.isArray(input)) throw new AwsServiceError('SerializationException', 'the request body must be a JSON object');
        const output = await operation(input as Record<string, any>, { region: signedRegion(request, options.defaultRegion) });
        send(response, 200, contentType, output ?? {});
      } catch (error) {
        if (error instanceof AwsServiceError) send(response, error.status, contentType, { __type: error.type, message: error.message }, error.type);
        else send(response, 500, contentType, { __type: 'InternalFailure', message: String((error as Error)?.message ?? error) }, 'InternalFailure');
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Reads a JSON file of state, or `empty` when it is not there yet. */
export async function readState<T>(file: string, empty: T): Promise<T> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return empty;
    throw error;
  }
}

/**
 * Writes a small state file whole, atomically. State that changes per request belongs in a journal
 * (`../state-folder/journal.ts`): rewriting a whole file per change is quadratic in the state's size.
 */
export async function writeState(file: string, state: unknown): Promise<void> {
  await writeFileAtomically(file, JSON.stringify(state));
}
