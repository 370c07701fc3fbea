import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BufferedHttpHandler } from './buffered-http-handler';
import { forgetClients, sharedClient } from './clients';
import { DYNAMODB_ITEM_OPERATIONS } from './dynamodb-item-requests';
import { DynamoDBQueryRequest, sdkQuery, type QueryAnswer } from './dynamodb-query-request';
import { LeanClient } from './lean-json-request';
import type { QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { CLIENT_SETTINGS, PER_COMMAND_CLIENT_SETTINGS } from './endpoints';

/**
 * The DynamoDB document client of a process (a Lambda container reuses it across invocations): functions/aws/clients.ts.
 * Its client has no cacheMiddleware: lib-dynamodb refuses it (a document command resolves its own stack each time).
 */
export function documentClient(): DynamoDBDocumentClient {
  return sharedClient('DYNAMODB', 'document', () =>
    DynamoDBDocumentClient.from(new DynamoDBClient({ ...PER_COMMAND_CLIENT_SETTINGS }), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  );
}

/** The process's plain DynamoDB client, for commands sent as the service defines them, with CLIENT_SETTINGS' cacheMiddleware. */
export function dynamoClient(): DynamoDBClient {
  return sharedClient('DYNAMODB', 'plain', () => new DynamoDBClient({ ...CLIENT_SETTINGS }));
}

/**
 * Whether `db` is the process's document client, whose commands may go to the process's other DynamoDB clients (the
 * same endpoint, region and credentials); a client a test or tool made (its own table, its own middleware) gets
 * every request of a store holding it.
 */
function isProcessClient(db: DynamoDBDocumentClient): boolean {
  return db === documentClient();
}

/**
 * The process's plain DynamoDB client with its PutItem and GetItem sent as lean signed requests
 * (functions/aws/dynamodb-item-requests.ts): Publish's records, claims and pointer re-read, most of a run's requests.
 */
export function leanDynamoClient(): LeanClient<DynamoDBClient> {
  return sharedClient('DYNAMODB', 'lean', () => new LeanClient(dynamoClient(), DYNAMODB_ITEM_OPERATIONS));
}

/** Where a store holding `db` sends plain DynamoDB commands: the process's lean plain client, or `db` itself (isProcessClient). */
export function plainClientFor(db: DynamoDBDocumentClient): Pick<DynamoDBClient, 'send'> {
  // A document client sends plain commands as they are (its middleware marshals only its own commands).
  return isProcessClient(db) ? leanDynamoClient() : (db as unknown as DynamoDBClient);
}

/** What the listing's projected Queries go through. */
export interface ListingReads {
  query(input: QueryCommandInput): Promise<QueryAnswer>;
}

/**
 * The process's reader of the listing API's Queries: each one a lean signed request (functions/aws/dynamodb-query-request.ts),
 * handed to an SDK client of its own whenever it does not answer cleanly. Both send through one BufferedHttpHandler
 * (its keep-alive sockets), which reads each answer whole into one Buffer; Publish's writes keep the SDK's handler.
 */
export function listingReadClient(): DynamoDBQueryRequest {
  return sharedClient('DYNAMODB', 'listing-read', () => {
    const handler = new BufferedHttpHandler();
    return new DynamoDBQueryRequest(new DynamoDBClient({ ...CLIENT_SETTINGS, requestHandler: handler }), handler);
  });
}

/** Where a store holding `db` sends the listing's Queries: listingReadClient(), or `db` itself as plain commands (isProcessClient). */
export function listingReadClientFor(db: DynamoDBDocumentClient): ListingReads {
  if (isProcessClient(db)) return listingReadClient();
  return { query: (input) => sdkQuery(db as unknown as DynamoDBClient, input) };
}

/** The table name, from the environment CDK (or the local runner) sets. */
export function tableName(): string {
  const name = process.env.LAMINA_TABLE;
  if (!name) throw new Error('LAMINA_TABLE is not set: it names the DynamoDB table lamina records layers in');
  return name;
}

/** Forgets the cached clients, so a test or the local runner can point the next ones elsewhere. */
export function resetDocumentClient(): void {
  forgetClients('DYNAMODB');
}
