import { QueryCommand, type AttributeValue, type DynamoDBClient, type QueryCommandInput, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import type { HttpRequest, HttpResponse, RequestHandler } from '@smithy/types';
import { LeanJsonRequests, orderedBody, type LeanOperation, jsonOperation } from './lean-json-request';

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

/**
 * Whether a value holds a binary one (B, BS): DynamoDB's JSON carries them as base64, which the SDK's serializer
 * writes and its deserializer decodes, so a Query or an answer holding one is the SDK's. A walk of the parsed values,
 * not a search of the answer's text: that search cost as much as parsing it.
 */
export function holdsBinary(value: AttributeValue | undefined): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if ('B' in value || 'BS' in value) return true;
  if (Array.isArray(value.L)) return value.L.some(holdsBinary);
  return typeof value.M === 'object' && value.M !== null && holdsBinaryIn(value.M);
}

export function holdsBinaryIn(values: Record<string, AttributeValue> | undefined): boolean {
  for (const name in values) if (holdsBinary(values[name])) return true;
  return false;
}

/** The Query's JSON body as the SDK's serializer writes it, or undefined for an input the SDK must send. */
export function queryBody(input: QueryCommandInput): string | undefined {
  if (holdsBinaryIn(input.ExclusiveStartKey) || holdsBinaryIn(input.ExpressionAttributeValues)) return undefined;
  return orderedBody(input, QUERY_MEMBERS);
}

/** A Query sent by an SDK client, its answer without $metadata. */
export async function sdkQuery(client: Pick<DynamoDBClient, 'send'>, input: QueryCommandInput): Promise<QueryAnswer> {
  const { Items, Count, ScannedCount, LastEvaluatedKey } = await client.send(new QueryCommand(input));
  return { Items, Count, ScannedCount, LastEvaluatedKey };
}

/** The Query as a lean JSON-protocol operation (functions/aws/lean-json-request.ts). */
export const QUERY_OPERATION: LeanOperation<QueryCommandInput, QueryAnswer> = jsonOperation({
  command: QueryCommand,
  target: 'DynamoDB_20120810.Query',
  contentType: 'application/x-amz-json-1.0',
  body: queryBody,
  output(parsed) {
    const answer = parsed as QueryAnswer | null;
    if (typeof answer !== 'object' || answer === null || (answer.Items !== undefined && !Array.isArray(answer.Items))) return undefined;
    // lamina's listing items hold no binary values; an answer with one is read again by the SDK, which decodes them.
    if (answer.Items?.some(holdsBinaryIn) || holdsBinaryIn(answer.LastEvaluatedKey)) return undefined;
    return { Items: answer.Items, Count: answer.Count, ScannedCount: answer.ScannedCount, LastEvaluatedKey: answer.LastEvaluatedKey };
  },
  endpointKey: (input) => input.TableName ?? '',
});

/**
 * The listing's Query as one signed HTTP request (functions/aws/lean-json-request.ts): DynamoDB's JSON protocol POST
 * (`X-Amz-Target: DynamoDB_20120810.Query`), signed by the SignatureV4 the client's own config makes, sent to the
 * endpoint the SDK resolves for the table through the client's request handler, its 200 answer JSON-parsed. The SDK's
 * middleware chain was about a third of the listing's read's CPU (`npm run bench:api`). Anything but a clean 200 with
 * a JSON body (an error answer, throttling, a failed connection, an answer holding a binary attribute, whose base64
 * the SDK decodes) hands the same Query to the SDK client, and after such an answer Queries go to the SDK alone for a
 * few seconds. The SDK does not check DynamoDB's x-amz-crc32 header, so neither does this.
 */
export class DynamoDBQueryRequest {
  private readonly requests: LeanJsonRequests;

  constructor(
    /** The client whose config signs and addresses the request, and that answers every Query this does not. */
    readonly client: DynamoDBClient,
    handler: RequestHandler<HttpRequest, HttpResponse>,
    sdkOnlyAfterFailureMs?: number,
  ) {
    this.requests = new LeanJsonRequests(client, handler, sdkOnlyAfterFailureMs);
  }

  /** The Query's answer: through the lean request when it answers cleanly, else through the SDK client. */
  query(input: QueryCommandInput): Promise<QueryAnswer> {
    return this.requests.send(QUERY_OPERATION, input, () => sdkQuery(this.client, input));
  }

  /** Ends the client (and its request handler's sockets). */
  destroy(): void {
    this.client.destroy();
  }
}
