import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BufferedHttpHandler } from './buffered-http-handler';
import { forgetClients, sharedClient } from './clients';
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
 * Where a store holding `db` sends plain DynamoDB commands: the process's plain client (or `processClient`) when `db` is the process's
 * document client (the same endpoint, region and credentials), otherwise `db` itself, so a client a test or tool
 * made (its own table, its own middleware) gets every request.
 */
export function plainClientFor(db: DynamoDBDocumentClient, processClient: () => DynamoDBClient = dynamoClient): Pick<DynamoDBClient, 'send'> {
  // A document client sends plain commands as they are (its middleware marshals only its own commands).
  return db === documentClient() ? processClient() : (db as unknown as DynamoDBClient);
}

/**
 * The process's DynamoDB client for the listing API's reads (its projected Queries): the plain client's settings, its
 * answers read whole by BufferedHttpHandler rather than streamed through the SDK's NodeHttpHandler. Its own client, so
 * Publish's writes keep the SDK's handler.
 */
export function listingReadClient(): DynamoDBClient {
  return sharedClient('DYNAMODB', 'listing-read', () => new DynamoDBClient({ ...CLIENT_SETTINGS, requestHandler: new BufferedHttpHandler() }));
}

/** Where a store holding `db` sends the listing's reads: listingReadClient() for the process's document client, else `db` (as plainClientFor). */
export function listingReadClientFor(db: DynamoDBDocumentClient): Pick<DynamoDBClient, 'send'> {
  return plainClientFor(db, listingReadClient);
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
