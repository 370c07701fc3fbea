import { Agent, type Dispatcher } from 'undici';
import type { HttpHandlerOptions, HttpRequest, HttpResponse, RequestHandler } from '@smithy/types';

/** How long a socket may stay silent while a request waits for its answer before the request fails (and is retried). */
const SOCKET_TIMEOUT_MS = 30_000;

/**
 * A query-string component as SigV4 signs it (RFC 3986: encodeURIComponent leaves !'()* as they are, the signer
 * does not), so a signed query sent by this handler matches its signature.
 */
function escapeUri(component: string): string {
  return encodeURIComponent(component).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The error codes a failed connection or a silent socket gives (Node's and undici's); the SDK's retry strategy retries them. */
const CONNECTION_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
/** undici's errors for a socket that stayed silent past its timeout: the SDK knows the condition as ETIMEDOUT. */
const SILENT_SOCKET_ERRORS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * An SDK request handler (the client's `requestHandler`) for requests with small bodies whose answers are read
 * whole: it sends each request through undici's dispatcher (Node's own HTTP/1.1 client, which `fetch` runs on) on
 * keep-alive connections (50 per origin, as the SDK's own handler) and hands the SDK the answer as one Buffer. The
 * SDK's NodeHttpHandler streams every answer through a collector and arms a handful of timers per request
 * (socket-acquisition warning, keep-alive, connection, socket timeouts); for the listing's 100-item Query that HTTP
 * exchange cost about as much CPU as the rest of the SDK's work (`npm run bench:api`), and undici's dispatch, with no
 * stream or event emitter per request, costs about two thirds of `http.request` on keep-alive sockets (0.16 against
 * 0.24 ms per 50 KB answer, 100 in flight). The SDK still signs, retries (a failed connection rejects with a code its
 * retry strategy knows), resolves the endpoint and parses the answer as usual. No streaming bodies and no
 * `Expect: 100-continue`: DynamoDB has neither.
 */
export class BufferedHttpHandler implements RequestHandler<HttpRequest, HttpResponse, HttpHandlerOptions> {
  private readonly dispatcher: Agent;

  constructor(private readonly socketTimeoutMs = SOCKET_TIMEOUT_MS) {
    this.dispatcher = new Agent({ connections: 50, headersTimeout: socketTimeoutMs, bodyTimeout: socketTimeoutMs });
  }

  handle(request: HttpRequest, { abortSignal }: HttpHandlerOptions = {}): Promise<{ response: HttpResponse }> {
    return new Promise((resolve, reject) => {
      if (abortSignal?.aborted) return reject(abortError());
      const query = Object.entries(request.query ?? {})
        .flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => (v === null ? escapeUri(name) : `${escapeUri(name)}=${escapeUri(v)}`)))
        .join('&');
      const host = request.hostname.includes(':') && !request.hostname.startsWith('[') ? `[${request.hostname}]` : request.hostname;
      const origin = `${request.protocol}//${host}${request.port ? `:${request.port}` : ''}`;
      let settled = false;
      let abortRequest: ((reason: Error) => void) | undefined;
      let abortedEarly: Error | undefined;
      let status = -1;
      let reason: string | undefined;
      const headers: Record<string, string> = {};
      const chunks: Buffer[] = [];
      // The SDK's own signal type is the DOM one or its older { onabort } shape.
      const signal = abortSignal as
        | { addEventListener?: (type: 'abort', listener: () => void, options: { once: true }) => void; removeEventListener?: (type: 'abort', listener: () => void) => void; onabort?: unknown }
        | undefined;
      const onAbort = () => (abortRequest ? abortRequest(abortError()) : (abortedEarly = abortError()));
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        if (typeof signal?.removeEventListener === 'function') signal.removeEventListener('abort', onAbort);
        outcome();
      };
      if (signal) {
        if (typeof signal.addEventListener === 'function') signal.addEventListener('abort', onAbort, { once: true });
        else signal.onabort = onAbort;
      }
      this.dispatcher.dispatch(
        {
          origin,
          path: query ? `${request.path}?${query}` : request.path,
          method: request.method as Dispatcher.HttpMethod,
          headers: request.headers,
          body: request.body as string | Uint8Array | undefined,
        },
        {
          onConnect: (abort: (reason?: Error) => void) => {
            abortRequest = abort;
            if (abortedEarly) abort(abortedEarly);
          },
          onHeaders: (statusCode: number, rawHeaders: Buffer[] | string[] | null, _resume: () => void, statusText?: string) => {
            status = statusCode;
            reason = statusText;
            for (let i = 0; rawHeaders && i + 1 < rawHeaders.length; i += 2) {
              const name = rawHeaders[i].toString().toLowerCase();
              const value = rawHeaders[i + 1].toString('latin1');
              headers[name] = name in headers ? `${headers[name]},${value}` : value;
            }
            return true;
          },
          onData: (chunk: Buffer) => {
            chunks.push(chunk);
            return true;
          },
          onComplete: () =>
            settle(() => resolve({ response: { statusCode: status, reason, headers, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) } })),
          onError: (error: Error) => settle(() => reject(sdkErrorOf(error, host, this.socketTimeoutMs))),
        },
      );
    });
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {
    void this.dispatcher.destroy();
  }
}

function abortError(): Error {
  return Object.assign(new Error('Request aborted'), { name: 'AbortError' });
}

/** The error the SDK's retry strategy knows for a failed exchange: a silent socket is ETIMEDOUT, a failed connection a TimeoutError. */
function sdkErrorOf(error: Error & { code?: string }, host: string, timeoutMs: number): Error {
  if (error.name === 'AbortError') return error;
  if (SILENT_SOCKET_ERRORS.has(error.code ?? '')) {
    return Object.assign(new Error(`no answer from ${host} within ${timeoutMs} ms`, { cause: error }), { name: 'TimeoutError', code: 'ETIMEDOUT' });
  }
  return CONNECTION_ERRORS.has(error.code ?? '') ? Object.assign(error, { name: 'TimeoutError' }) : error;
}
