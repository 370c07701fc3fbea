import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { forgetClients, sharedClient } from './clients';
import { CLIENT_SETTINGS } from './endpoints';

/** The DynamoDB document client of a process (a Lambda container reuses it across invocations): functions/aws/clients.ts. */
export function documentClient(): DynamoDBDocumentClient {
  return sharedClient('DYNAMODB', 'document', () =>
    DynamoDBDocumentClient.from(new DynamoDBClient({ ...CLIENT_SETTINGS }), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  );
}

/** The table name, from the environment CDK (or the local runner) sets. */
export function tableName(): string {
  const name = process.env.LAMINA_TABLE;
  if (!name) throw new Error('LAMINA_TABLE is not set: it names the DynamoDB table lamina records layers in');
  return name;
}

/** Forgets the cached client, so a test or the local runner can point the next one elsewhere. */
export function resetDocumentClient(): void {
  forgetClients('DYNAMODB');
}
