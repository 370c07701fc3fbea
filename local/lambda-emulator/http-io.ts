import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';

/** A request body, or the fact that it went over `limit` (the rest was read and dropped, not kept in memory). */
export type BodyResult = { tooLarge: false; body: Buffer } | { tooLarge: true };

/**
 * Reads a request body up to `limit` bytes. Past the limit the stream is drained without buffering, so the client
 * can finish sending and then read the error response instead of seeing a reset connection.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
      } else if (!tooLarge) {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(tooLarge ? { tooLarge: true } : { tooLarge: false, body: Buffer.concat(chunks, size) }));
    req.on('error', reject);
  });
}

/** Answers with a JSON body (or none, for 204) and the headers Lambda sends. */
export function sendJson(res: ServerResponse, status: number, body?: unknown): void {
  const headers: Record<string, string | number> = { 'x-amzn-RequestId': randomUUID() };
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
