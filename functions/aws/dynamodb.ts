import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '@smithy/types';
import { forgetClients, sharedClient } from './clients';
import { CLIENT_RETRY } from './endpoints';

/**
 * The SDK's default logger has a no-op `info`, and its logger middleware builds the redacted copy of every input
 * and output it would log before calling it: for a 100-item Query that walk was a sixth of the listing API's CPU.
 * Without `info` the middleware skips it; warnings and errors still reach the console.
 */
const QUIET_LOGGER = { debug: () => {}, warn: console.warn.bind(console), error: console.error.bind(console) } as unknown as Logger;

/** The DynamoDB document client of a process (a Lambda container reuses it across invocations): functions/aws/clients.ts. */
export function documentClient(): DynamoDBDocumentClient {
  return sharedClient('DYNAMODB', 'document', () =>
    DynamoDBDocumentClient.from(new DynamoDBClient({ ...CLIENT_RETRY, logger: QUIET_LOGGER }), {
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
