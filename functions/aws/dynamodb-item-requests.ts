import {
  GetItemCommand,
  PutItemCommand,
  type GetItemCommandInput,
  type GetItemCommandOutput,
  type PutItemCommandInput,
  type PutItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { holdsBinary, holdsBinaryIn } from './dynamodb-query-request';
import { answerObject, orderedBody, type LeanOperation, jsonOperation } from './lean-json-request';

/**
 * PutItemInput's members a lean PutItem sends, in its schema's order (functions/aws/lean-json-request.ts orderedBody).
 * Not the legacy Expected and ConditionalOperator, nor the Return* members: a 200 to what is sent is then `{}`.
 */
const PUT_ITEM_MEMBERS = ['TableName', 'Item', 'ConditionExpression', 'ExpressionAttributeNames', 'ExpressionAttributeValues'] as const satisfies readonly (keyof PutItemCommandInput)[];

/** GetItemInput's members a lean GetItem sends, in its schema's order; not the legacy AttributesToGet nor ReturnConsumedCapacity. */
const GET_ITEM_MEMBERS = ['TableName', 'Key', 'ConsistentRead', 'ProjectionExpression', 'ExpressionAttributeNames'] as const satisfies readonly (keyof GetItemCommandInput)[];

/** Attribute maps with a binary value (base64 in DynamoDB's JSON, which the SDK encodes and decodes) are the SDK's. */
const plainValues = (name: string, value: unknown) =>
  name === 'Item' || name === 'Key' || name === 'ExpressionAttributeValues' ? !holdsBinaryIn(value as Record<string, never>) : true;

const DYNAMODB_JSON = 'application/x-amz-json-1.0';
const OK = { httpStatusCode: 200 };

/** PutItem, as Publish's records and claims write it (LayerStore.putItem). */
export const PUT_ITEM_OPERATION: LeanOperation<PutItemCommandInput, PutItemCommandOutput> = jsonOperation({
  command: PutItemCommand,
  target: 'DynamoDB_20120810.PutItem',
  contentType: DYNAMODB_JSON,
  body: (input) => orderedBody(input, PUT_ITEM_MEMBERS, plainValues),
  output: (answer) => (answerObject(answer) ? { $metadata: OK } : undefined),
  endpointKey: (input) => input.TableName ?? '',
});

/** GetItem of one item (LayerStore.getLatest's consistent read); an item with a binary value is read again by the SDK. */
export const GET_ITEM_OPERATION: LeanOperation<GetItemCommandInput, GetItemCommandOutput> = jsonOperation({
  command: GetItemCommand,
  target: 'DynamoDB_20120810.GetItem',
  contentType: DYNAMODB_JSON,
  body: (input) => orderedBody(input, GET_ITEM_MEMBERS, plainValues),
  output(answer) {
    const object = answerObject(answer);
    if (!object) return undefined;
    const item = object.Item;
    if (item !== undefined && (answerObject(item) === undefined || Object.values(item as object).some(holdsBinary))) return undefined;
    return { $metadata: OK, ...(item !== undefined ? { Item: item as GetItemCommandOutput['Item'] } : {}) };
  },
  endpointKey: (input) => input.TableName ?? '',
});

/** The DynamoDB commands lean requests send for a LeanClient (functions/aws/dynamodb.ts plainClientFor). */
export const DYNAMODB_ITEM_OPERATIONS: readonly LeanOperation<never, object>[] = [PUT_ITEM_OPERATION, GET_ITEM_OPERATION];
