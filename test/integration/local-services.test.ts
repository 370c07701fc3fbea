import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startLocalServices } from '../../local/services';
import { startTestTable } from '../support/dynamo';

describe('the embedded default', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), 'lamina-services-'));
  });
  afterEach(() => rm(stateDir, { recursive: true, force: true }));

  it('starts every service on 127.0.0.1 with its state on disk, and restores the environment when closed', async () => {
    const before = process.env.AWS_ENDPOINT_URL_LAMBDA;
    const services = await startLocalServices({ stateDir });
    try {
      expect(services.reused).toEqual([]);
      for (const name of ['DYNAMODB', 'S3', 'LAMBDA']) expect(process.env[`AWS_ENDPOINT_URL_${name}`]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const table = await new DynamoDBClient({}).send(new DescribeTableCommand({ TableName: 'lamina' }));
      expect(table.Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual(['gsi1', 'gsi2']);
    } finally {
      await services.close();
    }
    expect(process.env.AWS_ENDPOINT_URL_LAMBDA).toBe(before);
    expect((await readdir(stateDir)).sort()).toEqual(expect.arrayContaining(['dynamodb', 'lambda', 's3']));
  });

  it('uses a service the SDK endpoint settings already name (LocalStack, say) instead of starting its own', async () => {
    const external = await startTestTable('someone-else');
    process.env.AWS_ENDPOINT_URL_DYNAMODB = external.endpoint;
    try {
      const services = await startLocalServices({ stateDir });
      try {
        expect(services.reused).toEqual([`DynamoDB at ${external.endpoint}`]);
        expect(services.started.some((line) => line.startsWith('DynamoDB'))).toBe(false);
        // lamina's table was created in the configured DynamoDB.
        const client = new DynamoDBClient({ endpoint: external.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
        expect((await client.send(new DescribeTableCommand({ TableName: 'lamina' }))).Table?.TableStatus).toBe('ACTIVE');
      } finally {
        await services.close();
      }
    } finally {
      delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
      await external.close();
    }
  });
});
