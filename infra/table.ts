import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { createTableInput } from '../schema/table';

type TableInput = ReturnType<typeof createTableInput>;

const ATTRIBUTE_TYPES: Record<'S' | 'N' | 'B', dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
  B: dynamodb.AttributeType.BINARY,
};

/** The attribute a key schema names with `role` (HASH or RANGE), typed from the attribute definitions. */
function keyAttribute(
  input: TableInput,
  keySchema: readonly { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[],
  role: 'HASH' | 'RANGE',
): dynamodb.Attribute | undefined {
  const key = keySchema.find((candidate) => candidate.KeyType === role);
  if (!key) return undefined;
  const definition = input.AttributeDefinitions.find((candidate) => candidate.AttributeName === key.AttributeName);
  if (!definition) throw new Error(`schema/table.ts: key attribute ${key.AttributeName} has no attribute definition`);
  return { name: key.AttributeName, type: ATTRIBUTE_TYPES[definition.AttributeType] };
}

const PROJECTIONS: Record<string, dynamodb.ProjectionType> = {
  ALL: dynamodb.ProjectionType.ALL,
  KEYS_ONLY: dynamodb.ProjectionType.KEYS_ONLY,
};

/**
 * lamina's single table, built from `createTableInput` (the same description the embedded default creates its
 * table from), so the deployed and the local table have the same keys and indexes. On demand, with point-in-time
 * recovery; retained and deletion-protected, because it is the record of every published layer version.
 */
export function createLaminaTable(scope: Construct, id: string): dynamodb.Table {
  const input = createTableInput('unused');
  const table = new dynamodb.Table(scope, id, {
    partitionKey: keyAttribute(input, input.KeySchema, 'HASH')!,
    sortKey: keyAttribute(input, input.KeySchema, 'RANGE'),
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  for (const index of input.GlobalSecondaryIndexes) {
    const projection = PROJECTIONS[index.Projection.ProjectionType];
    if (!projection) throw new Error(`schema/table.ts: index ${index.IndexName} has an unsupported projection ${index.Projection.ProjectionType}`);
    table.addGlobalSecondaryIndex({
      indexName: index.IndexName,
      partitionKey: keyAttribute(input, index.KeySchema, 'HASH')!,
      sortKey: keyAttribute(input, index.KeySchema, 'RANGE'),
      projectionType: projection,
    });
  }
  return table;
}
