import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CLIENT_RETRY } from './endpoints';

/** The one DynamoDB document client of a process (a Lambda container reuses it across invocations). */
let shared: DynamoDBDocumentClient | undefined;

export function documentClient(): DynamoDBDocumentClient {
  if (!shared) {
    shared = DynamoDBDocumentClient.from(new DynamoDBClient({ ...CLIENT_RETRY }), {
      marshallOptions: { removeUndefinedValues: true },
    });
  }
  return shared;
}

/** The table name, from the environment CDK (or the local runner) sets. */
export function tableName(): string {
  const name = process.env.LAMINA_TABLE;
  if (!name) throw new Error('LAMINA_TABLE is not set: it names the DynamoDB table lamina records layers in');
  return name;
}

/** Forgets the cached client, so a test or the local runner can point the next one elsewhere. */
export function resetDocumentClient(): void {
  shared?.destroy();
  shared = undefined;
}
