import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Lambda's synchronous payload limit, the response limit the Runtime API enforces (bytes). */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024 + 100;

const PREFIX = '/2018-06-01/runtime';

/** An event waiting to be handed to the runtime, with what Lambda sends in the `next` headers. */
export interface Invocation {
  requestId: string;
  /** The event as the bytes Lambda passes on (normally JSON). */
  payload: string;
  invokedFunctionArn: string;
  traceId: string;
  /** Milliseconds the function has from the moment the runtime receives the event. */
  timeoutMs: number;
  clientContext?: string;
  cognitoIdentity?: string;
}

/** The error object of a failed invocation or init, as a runtime posts it. */
export interface FunctionError {
  errorType: string;
  errorMessage: string;
  stackTrace?: string[];
  [key: string]: unknown;
}

/** How the runtime answered one invocation. */
export type RuntimeOutcome = { ok: true; payload: string } | { ok: false; error: FunctionError };

/** Things the Runtime API tells its owner about, in order. */
export interface RuntimeApiEvents {
  /** The runtime took an event from `next`; `deadlineMs` is what the deadline header said. */
  onDelivered?(invocation: Invocation, deadlineMs: number): void;
  /** The runtime answered an invocation (response or error). */
  onOutcome?(requestId: string, outcome: RuntimeOutcome): void;
  /** The runtime reported that its initialization failed. */
  onInitError?(error: FunctionError): void;
}

function errorBody(errorType: string, errorMessage: string): string {
  return JSON.stringify({ errorMessage, errorType });
}

/** Reads the body of a function error post: JSON {errorType, errorMessage, stackTrace} or anything else. */
export function parseFunctionError(body: string, headerType: string | undefined): FunctionError {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const object = parsed as Record<string, unknown>;
      return {
        ...object,
        errorType: typeof object.errorType === 'string' ? object.errorType : headerType ?? 'Unhandled',
        errorMessage: typeof object.errorMessage === 'string' ? object.errorMessage : body,
      };
    }
  } catch {
    // Not JSON: the body is the message.
  }
  return { errorType: headerType ?? 'Unhandled', errorMessage: body };
}

/**
 * A local Lambda Runtime API (version 2018-06-01) on 127.0.0.1: what a custom runtime's `bootstrap` talks to.
 * It hands out one invocation at a time through the long-polling `next`, and accepts `response`, `error` and
 * `init/error` with the status codes and error shapes Lambda uses (202 accepted, 400 InvalidRequestID,
 * 403 InvalidStateTransition, 413 RequestEntityTooLarge, 404 for unknown paths).
 */
export class RuntimeApiServer {
  private readonly server: http.Server;
  private readonly queue: Invocation[] = [];
  private readonly waiting: http.ServerResponse[] = [];
  private readonly inFlight = new Map<string, Invocation>();
  private readonly finished = new Set<string>();
  private initialized = false;

  constructor(private readonly events: RuntimeApiEvents = {}) {
    this.server = http.createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) this.send(response, 500, errorBody('ServiceException', String(error)));
      });
    });
    // `next` is a long poll; the server must never give up on it.
    this.server.requestTimeout = 0;
    this.server.keepAliveTimeout = 60_000;
  }

  /** Starts listening on 127.0.0.1 (a free port unless given); returns `host:port` for AWS_LAMBDA_RUNTIME_API. */
  async start(port = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    return `127.0.0.1:${address.port}`;
  }

  /** Queues an event for the runtime; it is delivered on the runtime's next `GET next`. */
  enqueue(invocation: Omit<Invocation, 'requestId'> & { requestId?: string }): Invocation {
    const full: Invocation = { ...invocation, requestId: invocation.requestId ?? randomUUID() };
    this.queue.push(full);
    this.deliver();
    return full;
  }

  /** Forgets a new runtime's state: a fresh runtime process must initialize again and may post init/error. */
  resetRuntime(): void {
    this.initialized = false;
    for (const response of this.waiting.splice(0)) response.destroy();
    for (const requestId of this.inFlight.keys()) this.finished.add(requestId);
    this.inFlight.clear();
  }

  /** Stops the server and drops any long poll still open. */
  async close(): Promise<void> {
    for (const response of this.waiting.splice(0)) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private deliver(): void {
    while (this.queue.length > 0 && this.waiting.length > 0) {
      const response = this.waiting.shift()!;
      if (response.destroyed || response.writableEnded) continue;
      const invocation = this.queue.shift()!;
      const deadlineMs = Date.now() + invocation.timeoutMs;
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        'Lambda-Runtime-Aws-Request-Id': invocation.requestId,
        'Lambda-Runtime-Deadline-Ms': String(deadlineMs),
        'Lambda-Runtime-Invoked-Function-Arn': invocation.invokedFunctionArn,
        'Lambda-Runtime-Trace-Id': invocation.traceId,
      };
      if (invocation.clientContext !== undefined) headers['Lambda-Runtime-Client-Context'] = invocation.clientContext;
      if (invocation.cognitoIdentity !== undefined) headers['Lambda-Runtime-Cognito-Identity'] = invocation.cognitoIdentity;
      this.initialized = true;
      this.inFlight.set(invocation.requestId, invocation);
      response.writeHead(200, headers);
      response.end(invocation.payload);
      this.events.onDelivered?.(invocation, deadlineMs);
    }
  }

  private send(response: http.ServerResponse, status: number, body: string): void {
    response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    response.end(body);
  }

  /** Reads a request body up to the payload limit; null when it is larger. */
  private async readBody(request: http.IncomingMessage): Promise<string | null> {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > MAX_PAYLOAD_BYTES) tooLarge = true;
      else chunks.push(chunk as Buffer);
    }
    return tooLarge ? null : Buffer.concat(chunks).toString('utf8');
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const route = url.pathname;
    if (route === `${PREFIX}/invocation/next`) {
      if (request.method !== 'GET') return this.send(response, 405, errorBody('MethodNotAllowed', 'use GET'));
      request.resume();
      this.waiting.push(response);
      request.socket.setTimeout(0);
      this.deliver();
      return;
    }
    if (route === `${PREFIX}/init/error`) {
      if (request.method !== 'POST') return this.send(response, 405, errorBody('MethodNotAllowed', 'use POST'));
      const body = (await this.readBody(request)) ?? '';
      if (this.initialized) {
        return this.send(response, 403, errorBody('InvalidStateTransition', 'State transition from Ready to InitError failed for runtime'));
      }
      this.send(response, 202, JSON.stringify({ status: 'OK' }));
      this.events.onInitError?.(parseFunctionError(body, header(request, 'lambda-runtime-function-error-type')));
      return;
    }
    const match = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(route);
    if (!match) return this.send(response, 404, errorBody('InvalidRequest', `no Runtime API resource at ${route}`));
    if (request.method !== 'POST') return this.send(response, 405, errorBody('MethodNotAllowed', 'use POST'));
    const requestId = decodeURIComponent(match[1]);
    const body = await this.readBody(request);
    if (!this.inFlight.has(requestId)) {
      if (this.finished.has(requestId)) {
        return this.send(response, 403, errorBody('InvalidStateTransition', `invocation ${requestId} has already been answered`));
      }
      return this.send(response, 400, errorBody('InvalidRequestID', `Invalid request ID: ${requestId}`));
    }
    let outcome: RuntimeOutcome;
    if (body === null) {
      this.send(response, 413, errorBody('RequestEntityTooLarge', `Exceeded maximum allowed payload size (${MAX_PAYLOAD_BYTES} bytes).`));
      outcome = {
        ok: false,
        error: { errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_PAYLOAD_BYTES} bytes).` },
      };
    } else {
      this.send(response, 202, JSON.stringify({ status: 'OK' }));
      outcome =
        match[2] === 'response'
          ? { ok: true, payload: body }
          : { ok: false, error: parseFunctionError(body, header(request, 'lambda-runtime-function-error-type')) };
    }
    this.inFlight.delete(requestId);
    this.finished.add(requestId);
    this.events.onOutcome?.(requestId, outcome);
  }
}

function header(request: http.IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
