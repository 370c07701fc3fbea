import * as http from 'node:http';
import * as https from 'node:https';
import type { HttpHandlerOptions, HttpRequest, HttpResponse, RequestHandler } from '@smithy/types';

/** How long a socket may stay silent while a request waits for its answer before the request fails (and is retried). */
const SOCKET_TIMEOUT_MS = 30_000;

/** The error codes Node gives a request whose connection failed; the SDK's retry strategy retries them. */
const CONNECTION_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/**
 * A query-string component as SigV4 signs it (RFC 3986: encodeURIComponent leaves !'()* as they are, the signer
 * does not), so a signed query sent by this handler matches its signature.
 */
function escapeUri(component: string): string {
  return encodeURIComponent(component).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * An SDK request handler (the client's `requestHandler`) for requests with small bodies whose answers are read
 * whole: it sends each request on keep-alive sockets (50 per origin, as the SDK's own handler) and hands the SDK
 * the answer as one Buffer. The SDK's NodeHttpHandler streams every answer through a collector and arms a handful of
 * timers per request (socket-acquisition warning, keep-alive, connection, socket timeouts); for the listing's
 * 100-item Query that HTTP exchange cost about as much CPU as the rest of the SDK's work (`npm run bench:api`). The
 * SDK still signs, retries (a failed connection rejects with its code, which the retry strategy knows), resolves the
 * endpoint and parses the answer as usual. No streaming bodies and no `Expect: 100-continue`: DynamoDB has neither.
 */
export class BufferedHttpHandler implements RequestHandler<HttpRequest, HttpResponse, HttpHandlerOptions> {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 50 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 50 });

  constructor(private readonly socketTimeoutMs = SOCKET_TIMEOUT_MS) {}

  handle(request: HttpRequest, { abortSignal }: HttpHandlerOptions = {}): Promise<{ response: HttpResponse }> {
    return new Promise((resolve, reject) => {
      if (abortSignal?.aborted) return reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' }));
      const secure = request.protocol === 'https:';
      const query = Object.entries(request.query ?? {})
        .flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => (v === null ? escapeUri(name) : `${escapeUri(name)}=${escapeUri(v)}`)))
        .join('&');
      const hostname = request.hostname.startsWith('[') && request.hostname.endsWith(']') ? request.hostname.slice(1, -1) : request.hostname;
      const outgoing = (secure ? https : http).request(
        {
          host: hostname,
          port: request.port,
          method: request.method,
          path: query ? `${request.path}?${query}` : request.path,
          headers: request.headers,
          agent: secure ? this.httpsAgent : this.httpAgent,
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('error', reject);
          incoming.on('end', () => {
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(incoming.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
            resolve({
              response: {
                statusCode: incoming.statusCode ?? -1,
                reason: incoming.statusMessage,
                headers,
                body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
              },
            });
          });
        },
      );
      outgoing.setTimeout(this.socketTimeoutMs, () => outgoing.destroy(Object.assign(new Error(`no answer from ${hostname} within ${this.socketTimeoutMs} ms`), { code: 'ETIMEDOUT' })));
      outgoing.on('error', (error: NodeJS.ErrnoException) => reject(CONNECTION_ERRORS.has(error.code ?? '') ? Object.assign(error, { name: 'TimeoutError' }) : error));
      // The SDK's own signal type is the DOM one or its older { onabort } shape.
      const signal = abortSignal as
        | { addEventListener?: (type: 'abort', listener: () => void, options: { once: true }) => void; removeEventListener?: (type: 'abort', listener: () => void) => void; onabort?: unknown }
        | undefined;
      if (signal) {
        const onAbort = () => outgoing.destroy(Object.assign(new Error('Request aborted'), { name: 'AbortError' }));
        if (typeof signal.addEventListener === 'function') {
          signal.addEventListener('abort', onAbort, { once: true });
          outgoing.once('close', () => signal.removeEventListener!('abort', onAbort));
        } else signal.onabort = onAbort;
      }
      outgoing.end(request.body as string | Uint8Array | undefined);
    });
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
