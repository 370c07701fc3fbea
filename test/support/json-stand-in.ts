import type { FinalizeRequestMiddleware } from '@smithy/types';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request a stand-in received. */
export interface Seen {
  method?: string;
  url?: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** An AWS JSON-protocol stand-in on 127.0.0.1: `answer` answers the n-th request (0-based); every request is recorded. */
export async function standIn(answer: (response: ServerResponse, index: number, request: Seen) => void) {
  const requests: Seen[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const seen = { method: request.method, url: request.url, headers: request.headers, body: Buffer.concat(chunks).toString() };
      requests.push(seen);
      // No Date header: the SDK would set its clock offset from it, and the signature tests sign at a fixed time.
      response.sendDate = false;
      answer(response, requests.length - 1, seen);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A JSON answer with the status, as the JSON protocols send it. */
export function json(response: ServerResponse, status: number, body: unknown, requestId = 'stand-in-request', contentType = 'application/x-amz-json-1.0') {
  response.writeHead(status, { 'content-type': contentType, 'x-amzn-requestid': requestId });
  response.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** Whether the SDK sent a request (its retry middleware marks each attempt); a lean request sends no such header. */
export const bySdk = (request: Seen) => request.headers['amz-sdk-request'] !== undefined;

/**
 * Has `client` sign without the SDK's own headers a lean request does not send (retry bookkeeping, its user agent),
 * taken off before the SDK signs, so both sign the same header set; and fixes the clock at 2026-03-04T05:06:07Z:
 * what is compared is how each signs the same request at the same time.
 */
export function signLikeALeanRequest(client: { middlewareStack: unknown }): void {
  const withoutSdkBookkeeping: FinalizeRequestMiddleware<object, object> = (next) => async (args) => {
    const headers = (args.request as { headers: Record<string, string> }).headers;
    delete headers['amz-sdk-invocation-id'];
    delete headers['amz-sdk-request'];
    delete headers['x-amz-user-agent'];
    return next(args);
  };
  (client.middlewareStack as { addRelativeTo(middleware: unknown, options: object): void }).addRelativeTo(withoutSdkBookkeeping, {
    relation: 'before',
    toMiddleware: 'httpSigningMiddleware',
    name: 'withoutSdkBookkeeping',
  });
  jest.useFakeTimers({ now: new Date('2026-03-04T05:06:07Z'), doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask'] });
}
