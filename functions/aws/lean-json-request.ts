import { getEndpointFromInstructions } from '@smithy/core/endpoints';
import { BufferedHttpHandler } from './buffered-http-handler';
import type { AwsCredentialIdentity, EndpointParameterInstructions, EndpointV2, HttpRequest, HttpResponse, RequestHandler, RequestSigner } from '@smithy/types';

/** The parts of an operation's HTTP request its input decides (the endpoint gives the rest: origin, base path, host). */
export interface LeanRequestParts {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The operation's path, below the endpoint's ('' for the JSON protocols, which POST to the endpoint itself). */
  path: string;
  query?: Record<string, string>;
  headers: Record<string, string>;
  body?: string;
}

/**
 * One operation a lean request may send: how its input becomes the request the SDK's serializer makes (an AWS JSON
 * protocol's POST, or a REST-JSON request), and how a 2xx answer's JSON becomes the output the SDK would give. Either
 * returns undefined for what it leaves to the SDK.
 */
export interface LeanOperation<I, O> {
  /** The SDK's command class: its endpoint parameter instructions say where the operation goes. */
  command: { getEndpointParameterInstructions(): EndpointParameterInstructions };
  /** The operation's name, e.g. `DynamoDB_20120810.PutItem`: with `endpointKey`, what a resolved endpoint is kept under. */
  name: string;
  /** The request, or undefined for an input the SDK must send (a member or a value this does not write as the SDK does). */
  request(input: I): LeanRequestParts | undefined;
  /** The output of a 2xx's parsed body, or undefined for one the SDK must read (not an answer, a binary value...). */
  output(answer: unknown): O | undefined;
  /** What of the input the endpoint depends on (DynamoDB's table), so each is resolved once: '' when nothing. */
  endpointKey(input: I): string;
}

/** An AWS JSON protocol's operation (awsJson1_0, awsJson1_1): a POST to the endpoint whose X-Amz-Target names it. */
export function jsonOperation<I, O>(operation: {
  command: LeanOperation<I, O>['command'];
  /** `X-Amz-Target`, e.g. `DynamoDB_20120810.PutItem`. */
  target: string;
  /** `application/x-amz-json-1.0` or `-1.1`, as the service's protocol. */
  contentType: string;
  /** The body, or undefined for an input the SDK must send. */
  body(input: I): string | undefined;
  output: LeanOperation<I, O>['output'];
  endpointKey?: LeanOperation<I, O>['endpointKey'];
}): LeanOperation<I, O> {
  const headers = { 'content-type': operation.contentType, 'x-amz-target': operation.target };
  return {
    command: operation.command,
    name: operation.target,
    request(input) {
      const body = operation.body(input);
      return body === undefined ? undefined : { method: 'POST', path: '', headers, body };
    },
    output: operation.output,
    endpointKey: operation.endpointKey ?? (() => ''),
  };
}

/** A parsed JSON answer that is an object (not null, not a list), or undefined. */
export function answerObject(answer: unknown): Record<string, unknown> | undefined {
  return typeof answer === 'object' && answer !== null && !Array.isArray(answer) ? (answer as Record<string, unknown>) : undefined;
}

/**
 * An object's members in the order the SDK's serializer writes them (its schema's), so that for the same input the
 * lean body, its hash and so its signature are byte for byte the SDK's; undefined (the SDK's) when the input holds a
 * member not listed or a value `plain` refuses.
 */
export function orderedBody<I extends object>(input: I, members: readonly (keyof I & string)[], plain: (name: keyof I & string, value: unknown) => boolean = () => true): string | undefined {
  const known = new Set<string>(members);
  for (const name in input) if (!known.has(name) && input[name] !== undefined) return undefined;
  const ordered: Record<string, unknown> = {};
  for (const name of members) {
    const value = input[name];
    if (value === undefined) continue;
    if (!plain(name, value)) return undefined;
    ordered[name] = value;
  }
  return JSON.stringify(ordered);
}

/** How long requests go straight to the SDK after an answer the lean request did not take (throttling, a 5xx, a failed connection...). */
const SDK_ONLY_AFTER_FAILURE_MS = 5_000;

/** The parts of a resolved client config this module reads (the SDK's own). */
interface ResolvedConfig {
  signer: (authScheme?: Record<string, unknown>) => Promise<RequestSigner>;
  credentials: () => Promise<AwsCredentialIdentity>;
  systemClockOffset: number;
  disableClockSkewCorrection?: () => Promise<boolean>;
  endpointDiscoveryEnabled?: () => Promise<boolean | undefined>;
  isClientEndpointDiscoveryEnabled?: boolean;
}

/** Where an operation goes and how it is signed: resolved once per operation and endpoint key, as the SDK resolves it per request. */
interface Target {
  request: Omit<HttpRequest, 'headers' | 'body'> & { headers: Record<string, string> };
  signer: RequestSigner;
  signingRegion?: string;
  signingService?: string;
  skewCorrected: boolean;
}

/**
 * JSON-protocol operations as one signed HTTP request each: the POST signed by the SignatureV4 the client's own config
 * makes (`config.signer`: the SDK's signer, sha256 and credentials provider, so credentials refresh as that provider
 * says), sent to the endpoint the SDK resolves (`getEndpointFromInstructions` with the command's own parameter
 * instructions, once per operation and endpoint key) through `handler`, its 200 answer JSON-parsed. The SDK's
 * middleware chain (config copies for its endpoint, serializer and deserializer middleware, retry bookkeeping, user
 * agent, its signer made anew per request) is a third or more of a small request's CPU; none of it changes what a
 * successful request sends or answers.
 *
 * Anything but a clean 200 with a JSON answer (an error answer, throttling, a failed connection, an answer `output`
 * refuses) goes to the SDK (`sdk`) with the answer, if one came: LeanClient has the SDK read that answer, so its
 * errors, retries, clock skew correction and error shapes are exactly the SDK's and nothing is sent twice; the
 * listing's Query (a read) sends it again through the SDK instead. After such an answer
 * requests go to the SDK alone for a few seconds, so its retry strategy (adaptive: it slows down on throttling)
 * paces them while the service is in trouble. The SDK alone also sends what this does not know how to (an input
 * `body` refuses, endpoint discovery, an endpoint asking for another signature or for headers of its own).
 */
export class LeanJsonRequests {
  private readonly targets = new Map<string, Promise<Target | undefined>>();
  private sdkOnlyUntil = 0;

  constructor(
    /** The client whose config signs and addresses the requests. */
    readonly client: { config: object },
    private readonly handler: RequestHandler<HttpRequest, HttpResponse>,
    private readonly sdkOnlyAfterFailureMs = SDK_ONLY_AFTER_FAILURE_MS,
  ) {}

  /**
   * The operation's output: through the lean request when it answers cleanly, else through `sdk`, which is given the
   * answer the lean request got (undefined when it got none: the SDK is to send the request itself).
   */
  async send<I extends object, O>(operation: LeanOperation<I, O>, input: I, sdk: (answer?: HttpResponse) => Promise<O>, beforeRequest?: () => Promise<void>): Promise<O> {
    const parts = operation.request(input);
    const target = parts !== undefined && Date.now() >= this.sdkOnlyUntil ? await this.target(operation, input).catch(() => undefined) : undefined;
    if (!target) return sdk();
    await beforeRequest?.();
    const result = await this.lean(operation, target, parts!).catch(() => undefined);
    if (result && 'output' in result) return result.output;
    this.sdkOnlyUntil = Date.now() + this.sdkOnlyAfterFailureMs;
    return sdk(result?.answer);
  }

  /** The output of the lean request, or the answer when it is not a clean 2xx with an answer `output` takes. */
  private async lean<I, O>(operation: LeanOperation<I, O>, target: Target, parts: LeanRequestParts): Promise<{ output: O } | { answer: HttpResponse }> {
    const config = this.client.config as unknown as ResolvedConfig;
    const { body } = parts;
    const base = target.request.path;
    // As the SDK joins an endpoint's path and the operation's.
    const path = parts.path ? `${base.endsWith('/') ? base.slice(0, -1) : base}${parts.path}` : base;
    const headers = { ...target.request.headers, ...parts.headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) };
    const signed = (await target.signer.sign(
      { ...target.request, method: parts.method, path, query: parts.query ?? {}, headers, body } as HttpRequest,
      {
        signingDate: target.skewCorrected ? new Date(Date.now() + config.systemClockOffset) : new Date(),
        signingRegion: target.signingRegion,
        signingService: target.signingService,
      },
    )) as HttpRequest;
    const { response } = await this.handler.handle(signed);
    if (response.statusCode < 200 || response.statusCode >= 300) return { answer: response };
    const text = Buffer.isBuffer(response.body) ? response.body.toString('utf8') : String(response.body);
    let output: O | undefined;
    try {
      output = operation.output(JSON.parse(text));
    } catch {
      output = undefined;
    }
    return output === undefined ? { answer: response } : { output };
  }

  /** The operation's target, resolved at its first request; undefined (the SDK alone) where the SDK would do more than sign with SigV4. */
  private target<I, O>(operation: LeanOperation<I, O>, input: I): Promise<Target | undefined> {
    const key = `${operation.name}\u0000${operation.endpointKey(input)}`;
    let target = this.targets.get(key);
    if (!target) {
      target = this.resolveTarget(operation, input);
      // A failed resolution (credentials or endpoint not ready) is tried again at the next request.
      target.catch(() => this.targets.delete(key));
      this.targets.set(key, target);
    }
    return target;
  }

  private async resolveTarget<I, O>(operation: LeanOperation<I, O>, input: I): Promise<Target | undefined> {
    const config = this.client.config as unknown as ResolvedConfig;
    if (config.isClientEndpointDiscoveryEnabled || (await config.endpointDiscoveryEnabled?.())) return undefined;
    // A copy, as the SDK's endpoint middleware passes one (the resolution may record a configured endpoint on it).
    const endpoint: EndpointV2 = await getEndpointFromInstructions(input as object, operation.command, { ...(this.client.config as object) });
    const schemes = (endpoint.properties?.authSchemes ?? []) as Array<{ name?: string; signingRegion?: string; signingName?: string }>;
    // As AwsSdkSigV4Signer: a sigv4a scheme first and sigv4 second signs with the second; anything else is the SDK's.
    const scheme = schemes[0]?.name === 'sigv4a' && schemes[1]?.name === 'sigv4' ? schemes[1] : schemes[0];
    if (scheme && scheme.name !== 'sigv4') return undefined;
    if (endpoint.headers && Object.keys(endpoint.headers).length > 0) return undefined;
    const url = endpoint.url;
    return {
      request: {
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname || '/',
        query: {},
        headers: { host: url.host },
      },
      signer: await config.signer(schemes[0] as Record<string, unknown> | undefined),
      signingRegion: scheme?.signingRegion,
      signingService: scheme?.signingName,
      skewCorrected: (await config.disableClockSkewCorrection?.()) !== true,
    };
  }
}

/** What LeanClient needs of an SDK client: its config (to sign and address), its middleware stack and its own send. */
interface SdkClient {
  config: object;
  middlewareStack: { add(middleware: unknown, options: Record<string, unknown>): void };
  send(command: never): Promise<unknown>;
  destroy(): void;
}

/** An SDK command: its class names the operation, its input is what is sent. */
interface SdkCommand {
  input: object;
}

/**
 * The answers lean requests got that their SDK client is to read as its first attempt's, by the command's input (the
 * SDK hands each middleware the command's own input object; lamina's callers build one per command, never sharing
 * one between commands in flight).
 */
const answered = new WeakMap<object, HttpResponse>();

/**
 * The clients' innermost middleware (inside the retry and signing steps, wrapping the request handler): the first
 * attempt of a command whose lean request got an answer is that answer, so the SDK reads it as if it had sent the
 * request (its error, its retry of a throttled or failed one), and nothing is sent twice.
 */
const answeredMiddleware = (next: (args: { input: object }) => Promise<unknown>) => async (args: { input: object }) => {
  const answer = answered.get(args.input);
  if (!answer) return next(args);
  answered.delete(args.input);
  return { response: answer };
};

const withAnsweredMiddleware = new WeakSet<object>();

/**
 * Whether the SDK's attempt of this input is to read the answer its lean request got: nothing is sent, so nothing is
 * paced (functions/regions/control-plane.ts pacedClient).
 */
export const isAnswered = (input: object | undefined): boolean => input !== undefined && answered.has(input);

/**
 * An SDK client whose commands of the classes in `operations` go as lean requests (LeanJsonRequests, through a
 * BufferedHttpHandler of its own), every other command through the client itself. A drop-in for the client's `send`
 * where a process sends many small requests of a few operations (Publish's DynamoDB writes, its SSM lookup, its
 * events). A lean request answered with anything but a clean 200 is handed to the client with that answer, which its
 * first attempt reads instead of sending (answeredMiddleware): the caller gets the SDK's own error, or output, for the
 * answer the service gave, and a write is never sent again because its answer was not one to take (a conditional
 * write that lost; a 200 whose body is not the answer, which the SDK's deserializer then refuses as it would its
 * own). Only a request that got no answer (a failed connection) is sent again, by the SDK, as its retry would. A lean
 * answer has no retry bookkeeping to report: its $metadata is the 200 alone.
 */
export class LeanClient<C extends SdkClient> {
  private readonly handler = new BufferedHttpHandler();
  private readonly requests: LeanJsonRequests;
  private readonly operations: ReadonlyMap<object, LeanOperation<never, object>>;

  constructor(
    readonly client: C,
    /** The operations sent lean, each found by its own `command` class. */
    operations: readonly LeanOperation<never, object>[],
    private readonly options: {
      sdkOnlyAfterFailureMs?: number;
      /** Awaited before each lean request, as the client's own middleware would before each attempt (Lambda's pacer). */
      beforeRequest?: (command: SdkCommand) => Promise<void> | undefined;
    } = {},
  ) {
    this.requests = new LeanJsonRequests(client, this.handler, options.sdkOnlyAfterFailureMs);
    this.operations = new Map(operations.map((operation) => [operation.command, operation]));
    if (!withAnsweredMiddleware.has(client)) {
      withAnsweredMiddleware.add(client);
      client.middlewareStack.add(answeredMiddleware, { step: 'deserialize', priority: 'low', name: 'laminaLeanAnswerMiddleware' });
    }
  }

  /** The client's resolved config (its retry settings, its cacheMiddleware...). */
  get config(): C['config'] {
    return this.client.config;
  }

  /** The client's middleware stack: what is added to it runs on every request the SDK sends for this client. */
  get middlewareStack(): C['middlewareStack'] {
    return this.client.middlewareStack;
  }

  readonly send = ((command: SdkCommand) => {
    const operation = this.operations.get(command.constructor) as LeanOperation<object, object> | undefined;
    if (!operation) return this.client.send(command as never);
    const before = this.options.beforeRequest;
    return this.requests.send(
      operation,
      command.input,
      async (answer) => {
        if (answer) answered.set(command.input, answer);
        try {
          return (await this.client.send(command as never)) as object;
        } finally {
          answered.delete(command.input);
        }
      },
      before && (async () => before(command)),
    );
  }) as unknown as C['send'];

  /** Ends the client and both request handlers' sockets. */
  destroy(): void {
    this.client.destroy();
    this.handler.destroy();
  }
}
