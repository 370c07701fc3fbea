import { QueryCommand, type AttributeValue, type DynamoDBClient, type QueryCommandInput, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { getEndpointFromInstructions } from '@smithy/core/endpoints';
import type { AwsCredentialIdentity, EndpointV2, HttpRequest, HttpResponse, RequestHandler, RequestSigner } from '@smithy/types';

/** What a Query answers, as the SDK's QueryCommand gives it (the items in DynamoDB's JSON), without its $metadata. */
export type QueryAnswer = Pick<QueryCommandOutput, 'Items' | 'Count' | 'ScannedCount' | 'LastEvaluatedKey'>;

/**
 * QueryInput's members the lean request sends, in the order the SDK's serializer writes them (its schema's), so that
 * for the same input the lean request's body, its hash and so its signature are byte for byte the SDK's. A member not
 * listed is left to the SDK: the legacy KeyConditions and QueryFilter (their value lists could hold binary values).
 */
const QUERY_MEMBERS = [
  'TableName',
  'IndexName',
  'Select',
  'AttributesToGet',
  'Limit',
  'ConsistentRead',
  'ConditionalOperator',
  'ScanIndexForward',
  'ExclusiveStartKey',
  'ReturnConsumedCapacity',
  'ProjectionExpression',
  'FilterExpression',
  'KeyConditionExpression',
  'ExpressionAttributeNames',
  'ExpressionAttributeValues',
] as const satisfies readonly (keyof QueryCommandInput)[];

const KNOWN_MEMBERS = new Set<string>(QUERY_MEMBERS);

/**
 * Whether a value holds a binary one (B, BS): DynamoDB's JSON carries them as base64, which the SDK's serializer
 * writes and its deserializer decodes, so a Query or an answer holding one is the SDK's. A walk of the parsed values,
 * not a search of the answer's text: that search cost as much as parsing it.
 */
function holdsBinary(value: AttributeValue | undefined): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if ('B' in value || 'BS' in value) return true;
  if (Array.isArray(value.L)) return value.L.some(holdsBinary);
  return typeof value.M === 'object' && value.M !== null && holdsBinaryIn(value.M);
}

function holdsBinaryIn(values: Record<string, AttributeValue> | undefined): boolean {
  for (const name in values) if (holdsBinary(values[name])) return true;
  return false;
}

/** The Query's JSON body as the SDK's serializer writes it, or undefined for an input the SDK must send. */
export function queryBody(input: QueryCommandInput): string | undefined {
  for (const name in input) if (!KNOWN_MEMBERS.has(name) && input[name as keyof QueryCommandInput] !== undefined) return undefined;
  if (holdsBinaryIn(input.ExclusiveStartKey) || holdsBinaryIn(input.ExpressionAttributeValues)) return undefined;
  const ordered: Record<string, unknown> = {};
  for (const name of QUERY_MEMBERS) if (input[name] !== undefined) ordered[name] = input[name];
  return JSON.stringify(ordered);
}

/** A Query sent by an SDK client, its answer without $metadata. */
export async function sdkQuery(client: Pick<DynamoDBClient, 'send'>, input: QueryCommandInput): Promise<QueryAnswer> {
  const { Items, Count, ScannedCount, LastEvaluatedKey } = await client.send(new QueryCommand(input));
  return { Items, Count, ScannedCount, LastEvaluatedKey };
}

/** How long Queries go straight to the SDK after an answer the lean request did not take (throttling, a 5xx, a failed connection...). */
const SDK_ONLY_AFTER_FAILURE_MS = 5_000;

/** The parts of a resolved DynamoDB client config this module reads (the SDK's own: functions/aws/dynamodb.ts makes the client). */
interface ResolvedConfig {
  signer: (authScheme?: Record<string, unknown>) => Promise<RequestSigner>;
  credentials: () => Promise<AwsCredentialIdentity>;
  systemClockOffset: number;
  disableClockSkewCorrection?: () => Promise<boolean>;
  endpointDiscoveryEnabled?: () => Promise<boolean | undefined>;
  isClientEndpointDiscoveryEnabled?: boolean;
}

/** Where a table's Queries go and how they are signed: resolved once per table, as the SDK resolves them per request. */
interface Target {
  request: Omit<HttpRequest, 'headers' | 'body'> & { headers: Record<string, string> };
  signer: RequestSigner;
  signingRegion?: string;
  signingService?: string;
  skewCorrected: boolean;
}

/**
 * The listing's Query as one signed HTTP request: DynamoDB's JSON protocol POST (`X-Amz-Target: DynamoDB_20120810.Query`),
 * signed by the SignatureV4 the client's own config makes (`config.signer`: the SDK's signer, sha256 and credentials
 * provider, so credentials refresh as that provider says), sent to the endpoint the SDK resolves for the table
 * (`getEndpointFromInstructions` with QueryCommand's own parameter instructions, once per table) through the client's
 * request handler, its 200 answer JSON-parsed. The SDK's middleware chain (config copies for its endpoint and
 * deserializer middleware, retry bookkeeping, user agent, its signer made anew per request) was about a third of the
 * listing's read's CPU (`npm run bench:api`); none of it changes what a successful Query sends or answers.
 *
 * Anything but a clean 200 with a JSON body (an error answer, throttling, a failed connection, an answer holding a
 * binary attribute, whose base64 the SDK decodes) hands the same Query to the SDK client, so errors, retries, clock
 * skew correction and error shapes are exactly the SDK's; after such an answer Queries go to the SDK alone for a few
 * seconds, so its retry strategy (adaptive: it slows down on throttling) paces them while DynamoDB is in trouble.
 * The SDK alone also sends what this does not know how to (a binary value in the Query, a member queryBody does
 * not list, endpoint discovery, an endpoint asking for another signature or for headers of its own).
 * The SDK does not check DynamoDB's x-amz-crc32 header, so neither does this.
 */
export class DynamoDBQueryRequest {
  private readonly targets = new Map<string, Promise<Target | undefined>>();
  private sdkOnlyUntil = 0;

  constructor(
    /** The client whose config signs and addresses the request, and that answers every Query this does not. */
    readonly client: DynamoDBClient,
    private readonly handler: RequestHandler<HttpRequest, HttpResponse>,
    private readonly sdkOnlyAfterFailureMs = SDK_ONLY_AFTER_FAILURE_MS,
  ) {}

  /** The Query's answer: through the lean request when it answers cleanly, else through the SDK client. */
  async query(input: QueryCommandInput): Promise<QueryAnswer> {
    const body = queryBody(input);
    const target = body !== undefined && Date.now() >= this.sdkOnlyUntil ? await this.target(input).catch(() => undefined) : undefined;
    if (target) {
      const answer = await this.lean(target, body!).catch(() => undefined);
      if (answer) return answer;
      this.sdkOnlyUntil = Date.now() + this.sdkOnlyAfterFailureMs;
    }
    return sdkQuery(this.client, input);
  }

  /** Ends the client (and its request handler's sockets). */
  destroy(): void {
    this.client.destroy();
  }

  /** The answer of the lean request, or undefined when it is not a clean 200 with a JSON body. */
  private async lean(target: Target, body: string): Promise<QueryAnswer | undefined> {
    const config = this.client.config as unknown as ResolvedConfig;
    const signed = (await target.signer.sign(
      { ...target.request, headers: { ...target.request.headers, 'content-length': String(Buffer.byteLength(body)) }, body } as HttpRequest,
      {
        signingDate: target.skewCorrected ? new Date(Date.now() + config.systemClockOffset) : new Date(),
        signingRegion: target.signingRegion,
        signingService: target.signingService,
      },
    )) as HttpRequest;
    const { response } = await this.handler.handle(signed);
    if (response.statusCode !== 200) return undefined;
    const text = Buffer.isBuffer(response.body) ? response.body.toString('utf8') : String(response.body);
    const answer = JSON.parse(text) as QueryAnswer | null;
    if (typeof answer !== 'object' || answer === null || (answer.Items !== undefined && !Array.isArray(answer.Items))) return undefined;
    // lamina's listing items hold no binary values; an answer with one is read again by the SDK, which decodes them.
    if (answer.Items?.some(holdsBinaryIn) || holdsBinaryIn(answer.LastEvaluatedKey)) return undefined;
    return { Items: answer.Items, Count: answer.Count, ScannedCount: answer.ScannedCount, LastEvaluatedKey: answer.LastEvaluatedKey };
  }

  /** The table's target, resolved at its first Query; undefined (the SDK alone) where the SDK would do more than sign with SigV4. */
  private target(input: QueryCommandInput): Promise<Target | undefined> {
    const table = input.TableName ?? '';
    let target = this.targets.get(table);
    if (!target) {
      target = this.resolveTarget(input);
      // A failed resolution (credentials or endpoint not ready) is tried again at the next Query.
      target.catch(() => this.targets.delete(table));
      this.targets.set(table, target);
    }
    return target;
  }

  private async resolveTarget(input: QueryCommandInput): Promise<Target | undefined> {
    const config = this.client.config as unknown as ResolvedConfig;
    if (config.isClientEndpointDiscoveryEnabled || (await config.endpointDiscoveryEnabled?.())) return undefined;
    // A copy, as the SDK's endpoint middleware passes one (the resolution may record a configured endpoint on it).
    const endpoint: EndpointV2 = await getEndpointFromInstructions(input, QueryCommand, { ...(this.client.config as object) });
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
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.Query',
          host: url.host,
        },
      },
      signer: await config.signer(schemes[0] as Record<string, unknown> | undefined),
      signingRegion: scheme?.signingRegion,
      signingService: scheme?.signingName,
      skewCorrected: (await config.disableClockSkewCorrection?.()) !== true,
    };
  }
}
