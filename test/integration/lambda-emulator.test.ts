import {
  AddLayerVersionPermissionCommand,
  DeleteLayerVersionCommand,
  GetLayerVersionByArnCommand,
  GetLayerVersionCommand,
  GetLayerVersionPolicyCommand,
  LambdaClient,
  ListLayerVersionsCommand,
  ListLayersCommand,
  PublishLayerVersionCommand,
  RemoveLayerVersionPermissionCommand,
  paginateListLayers,
  type PublishLayerVersionCommandInput,
} from '@aws-sdk/client-lambda';
import archiver from 'archiver';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startLambdaEmulator, type LambdaEmulator, type LambdaEmulatorOptions } from '../../local/lambda-emulator';
import { createKeyedQueue, createLimiter } from '../../local/lambda-emulator/limiter';
import { writeZip } from '../support/zip-writer';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const ACCOUNT = '000000000000';

/** Builds a zip in memory. */
function makeZip(files: Record<string, string | Buffer>, options: { store?: boolean } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const archive = archiver('zip', { store: options.store ?? false, zlib: { level: 1 } });
    const chunks: Buffer[] = [];
    archive.on('data', (chunk: Buffer) => chunks.push(chunk));
    archive.on('end', () => resolve(Buffer.concat(chunks)));
    archive.on('error', reject);
    for (const [name, content] of Object.entries(files)) archive.append(content, { name, date: new Date('2020-01-01T00:00:00Z') });
    void archive.finalize();
  });
}

/** Rewrites the uncompressed size every central-directory entry declares (a zip that claims to unpack huge). */
function declareUncompressedSize(zip: Buffer, size: number): Buffer {
  const copy = Buffer.from(zip);
  let patched = 0;
  for (let offset = 0; offset + 46 <= copy.length; offset++) {
    if (copy.readUInt32LE(offset) === 0x02014b50) {
      copy.writeUInt32LE(size, offset + 24);
      patched++;
    }
  }
  if (patched === 0) throw new Error('no central directory entry found');
  return copy;
}

const sha256Base64 = (data: Buffer) => createHash('sha256').update(data).digest('base64');

async function expectAwsError(promise: Promise<unknown>, name: string, status: number, messagePart?: string | RegExp) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as Error & { $metadata?: { httpStatusCode?: number } },
  );
  expect(error).toBeDefined();
  expect(error!.name).toBe(name);
  expect(error!.$metadata?.httpStatusCode).toBe(status);
  if (messagePart !== undefined) expect(error!.message).toMatch(messagePart);
  return error!;
}

describe('Lambda layer-API emulator against @aws-sdk/client-lambda', () => {
  let dataDir: string;
  let emulator: LambdaEmulator;
  let s3Objects: Map<string, Buffer>;
  let zipA: Buffer;
  let zipB: Buffer;

  const client = (region: string, maxAttempts = 1) =>
    new LambdaClient({ region, endpoint: emulator.url, credentials, maxAttempts });

  const start = (extra: Partial<LambdaEmulatorOptions> = {}) =>
    startLambdaEmulator({
      dataDir,
      readS3Object: async (bucket, key) => {
        const object = s3Objects.get(`${bucket}/${key}`);
        if (!object) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
        return object;
      },
      ...extra,
    });

  const publish = (region: string, input: Partial<PublishLayerVersionCommandInput> & { LayerName: string }) =>
    client(region).send(new PublishLayerVersionCommand({ Content: { ZipFile: zipA }, ...input }));

  beforeAll(async () => {
    zipA = await makeZip({ bootstrap: '#!/bin/sh\necho a\n', 'bin/tool': 'tool a' });
    zipB = await makeZip({ bootstrap: '#!/bin/sh\necho b\n' });
  });

  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'lamina-emulator-'));
    s3Objects = new Map();
    emulator = await start();
  });

  afterEach(async () => {
    await emulator.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  describe('PublishLayerVersion, GetLayerVersion, GetLayerVersionByArn', () => {
    it('publishes a version with AWS-shaped output and serves its content at Content.Location', async () => {
      const published = await publish('eu-west-1', {
        LayerName: 'bash-runtime',
        Description: 'Bash custom runtime',
        LicenseInfo: 'MIT',
        CompatibleRuntimes: ['provided.al2023', 'provided.al2'],
        CompatibleArchitectures: ['x86_64', 'arm64'],
      });
      expect(published.$metadata.httpStatusCode).toBe(201);
      expect(published.Version).toBe(1);
      expect(published.LayerArn).toBe(`arn:aws:lambda:eu-west-1:${ACCOUNT}:layer:bash-runtime`);
      expect(published.LayerVersionArn).toBe(`arn:aws:lambda:eu-west-1:${ACCOUNT}:layer:bash-runtime:1`);
      expect(published.Content?.CodeSha256).toBe(sha256Base64(zipA));
      expect(published.Content?.CodeSize).toBe(zipA.length);
      expect(published.CompatibleRuntimes).toEqual(['provided.al2023', 'provided.al2']);
      expect(published.CompatibleArchitectures).toEqual(['x86_64', 'arm64']);
      expect(published.Description).toBe('Bash custom runtime');
      expect(published.LicenseInfo).toBe('MIT');
      expect(published.CreatedDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);

      const download = await fetch(published.Content!.Location!);
      expect(download.status).toBe(200);
      expect(Buffer.from(await download.arrayBuffer()).equals(zipA)).toBe(true);

      const got = await client('eu-west-1').send(new GetLayerVersionCommand({ LayerName: 'bash-runtime', VersionNumber: 1 }));
      const byArn = await client('eu-west-1').send(new GetLayerVersionByArnCommand({ Arn: published.LayerVersionArn }));
      for (const output of [got, byArn]) {
        expect(output.LayerVersionArn).toBe(published.LayerVersionArn);
        expect(output.Content?.CodeSha256).toBe(published.Content?.CodeSha256);
        expect(output.CreatedDate).toBe(published.CreatedDate);
        expect(output.CompatibleRuntimes).toEqual(published.CompatibleRuntimes);
      }
    });

    it('omits optional fields that were not given', async () => {
      const published = await publish('us-east-1', { LayerName: 'plain' });
      expect(published.CompatibleRuntimes).toBeUndefined();
      expect(published.CompatibleArchitectures).toBeUndefined();
      expect(published.LicenseInfo).toBeUndefined();
      expect(published.Description).toBe('');
    });

    it('accepts a layer ARN of its own region and account as LayerName', async () => {
      const arn = `arn:aws:lambda:us-east-1:${ACCOUNT}:layer:by-arn`;
      const published = await publish('us-east-1', { LayerName: arn });
      expect(published.LayerVersionArn).toBe(`${arn}:1`);
      const got = await client('us-east-1').send(new GetLayerVersionCommand({ LayerName: arn, VersionNumber: 1 }));
      expect(got.Version).toBe(1);
    });

    it('answers ResourceNotFoundException for unknown layers and versions, and for another region', async () => {
      await publish('us-east-1', { LayerName: 'known' });
      await expectAwsError(
        client('us-east-1').send(new GetLayerVersionCommand({ LayerName: 'unknown', VersionNumber: 1 })),
        'ResourceNotFoundException',
        404,
        'does not exist',
      );
      await expectAwsError(
        client('us-east-1').send(new GetLayerVersionCommand({ LayerName: 'known', VersionNumber: 2 })),
        'ResourceNotFoundException',
        404,
      );
      await expectAwsError(
        client('us-east-2').send(new GetLayerVersionCommand({ LayerName: 'known', VersionNumber: 1 })),
        'ResourceNotFoundException',
        404,
      );
      await expectAwsError(
        client('us-east-2').send(new GetLayerVersionByArnCommand({ Arn: `arn:aws:lambda:us-east-1:${ACCOUNT}:layer:known:1` })),
        'ResourceNotFoundException',
        404,
      );
      await expectAwsError(
        client('us-east-1').send(new GetLayerVersionCommand({ LayerName: 'known', VersionNumber: 0 })),
        'InvalidParameterValueException',
        400,
        'Layer Version Cannot be less than 1',
      );
      await expectAwsError(
        client('us-east-1').send(new GetLayerVersionByArnCommand({ Arn: `arn:aws:lambda:us-east-1:${ACCOUNT}:layer:known` })),
        'ValidationException',
        400,
        /at 'arn' failed to satisfy constraint/,
      );
    });
  });

  describe('version numbers', () => {
    it('numbers versions per layer and per region, independently', async () => {
      expect((await publish('eu-west-1', { LayerName: 'a' })).Version).toBe(1);
      expect((await publish('eu-west-1', { LayerName: 'a' })).Version).toBe(2);
      expect((await publish('eu-west-1', { LayerName: 'b' })).Version).toBe(1);
      expect((await publish('eu-central-1', { LayerName: 'a' })).Version).toBe(1);
      expect((await publish('eu-west-1', { LayerName: 'a' })).Version).toBe(3);
      const eu = await client('eu-central-1').send(new ListLayerVersionsCommand({ LayerName: 'a' }));
      expect(eu.LayerVersions?.map((v) => v.Version)).toEqual([1]);
    });

    it('never reuses a number after DeleteLayerVersion, even when every version is deleted', async () => {
      await publish('ap-south-1', { LayerName: 'l' });
      await publish('ap-south-1', { LayerName: 'l' });
      const deleted = await client('ap-south-1').send(new DeleteLayerVersionCommand({ LayerName: 'l', VersionNumber: 2 }));
      expect(deleted.$metadata.httpStatusCode).toBe(204);
      expect((await publish('ap-south-1', { LayerName: 'l' })).Version).toBe(3);
      for (const version of [1, 3]) {
        await client('ap-south-1').send(new DeleteLayerVersionCommand({ LayerName: 'l', VersionNumber: version }));
      }
      expect((await publish('ap-south-1', { LayerName: 'l' })).Version).toBe(4);
      await expectAwsError(
        client('ap-south-1').send(new GetLayerVersionCommand({ LayerName: 'l', VersionNumber: 2 })),
        'ResourceNotFoundException',
        404,
      );
    });

    it('treats deleting a version that does not exist as success, as AWS does', async () => {
      const result = await client('us-west-2').send(new DeleteLayerVersionCommand({ LayerName: 'never', VersionNumber: 7 }));
      expect(result.$metadata.httpStatusCode).toBe(204);
    });

    it('hands out distinct consecutive numbers to concurrent publishes', async () => {
      const results = await Promise.all(Array.from({ length: 16 }, () => publish('sa-east-1', { LayerName: 'busy' })));
      expect(results.map((r) => r.Version).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
      expect((await emulator.snapshot('sa-east-1')).length).toBe(16);
    });
  });

  describe('content', () => {
    it('reads S3Bucket/S3Key content through readS3Object', async () => {
      s3Objects.set('artifacts/layers/b.zip', zipB);
      const published = await client('eu-west-2').send(
        new PublishLayerVersionCommand({ LayerName: 'from-s3', Content: { S3Bucket: 'artifacts', S3Key: 'layers/b.zip' } }),
      );
      expect(published.Content?.CodeSha256).toBe(sha256Base64(zipB));
      expect(published.Content?.CodeSize).toBe(zipB.length);
      await expectAwsError(
        client('eu-west-2').send(
          new PublishLayerVersionCommand({ LayerName: 'from-s3', Content: { S3Bucket: 'artifacts', S3Key: 'missing.zip' } }),
        ),
        'InvalidParameterValueException',
        400,
        /S3 Error Code: NoSuchKey/,
      );
    });

    it('rejects content that is not a zip, and a request with no content source', async () => {
      await expectAwsError(
        publish('eu-west-1', { LayerName: 'bad', Content: { ZipFile: Buffer.from('this is not a zip file at all') } }),
        'InvalidParameterValueException',
        400,
        'Could not unzip uploaded file',
      );
      await expectAwsError(
        publish('eu-west-1', { LayerName: 'bad', Content: {} }),
        'InvalidParameterValueException',
        400,
      );
      expect(await emulator.snapshot()).toEqual([]);
    });

    it('rejects a zip whose central directory declares more than 262144000 unzipped bytes', async () => {
      const small = await makeZip({ 'python/big.bin': Buffer.alloc(4096, 1) });
      const huge = declareUncompressedSize(small, 262144001);
      await expectAwsError(
        publish('eu-west-1', { LayerName: 'huge', Content: { ZipFile: huge } }),
        'InvalidParameterValueException',
        400,
        'Unzipped size must be smaller than 262144000 bytes',
      );
      // Exactly at the limit is accepted.
      const atLimit = declareUncompressedSize(small, 262144000);
      expect((await publish('eu-west-1', { LayerName: 'huge', Content: { ZipFile: atLimit } })).Version).toBe(1);
    });

    it('applies one limit to direct uploads, on the request as AWS does: a zip whose request fits is accepted, a larger one is refused (413)', async () => {
      // 52,440,108 bytes is over 50 MiB, but its base64 request is under 70,167,211 bytes: AWS accepts it.
      const justOver50MiB = await makeZip({ 'data.bin': randomBytes(52440108 - 114) }, { store: true });
      expect(justOver50MiB.length).toBe(52440108);
      expect((await publish('eu-west-1', { LayerName: 'fits', Content: { ZipFile: justOver50MiB } })).Content?.CodeSize).toBe(52440108);
      await client('eu-west-1').send(new DeleteLayerVersionCommand({ LayerName: 'fits', VersionNumber: 1 }));
      const big = await makeZip({ 'data.bin': randomBytes(52700000) }, { store: true });
      expect(Math.ceil(big.length / 3) * 4).toBeGreaterThan(70167211);
      await expectAwsError(
        publish('eu-west-1', { LayerName: 'big', Content: { ZipFile: big } }),
        'RequestEntityTooLargeException',
        413,
        'Request must be smaller than 70167211 bytes for the PublishLayerVersion operation',
      );
      expect(await emulator.snapshot()).toEqual([]);
    });

    it('refuses a zip with two entries for one path, keeping nothing', async () => {
      const file = path.join(dataDir, 'duplicate.zip');
      await writeZip(file, [
        { name: 'python/mod.py', data: 'x = 1\n' },
        { name: 'python/mod.py', data: 'x = 2\n' },
      ]);
      await expectAwsError(
        publish('eu-west-1', { LayerName: 'dup', Content: { ZipFile: await fs.readFile(file) } }),
        'InvalidParameterValueException',
        400,
        'Could not unzip uploaded file: it has two entries for "python/mod.py"',
      );
      expect(await emulator.snapshot()).toEqual([]);
    });

    it('rejects a request body over the PublishLayerVersion limit without keeping it', async () => {
      const response = await fetch(`${emulator.url}/2018-10-31/layers/big/versions`, {
        method: 'POST',
        headers: {
          authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/eu-west-1/lambda/aws4_request, SignedHeaders=host, Signature=abc',
          'x-amz-date': '20260101T000000Z',
          'content-type': 'application/json',
        },
        body: Buffer.alloc(70167212, 0x20),
      });
      expect(response.status).toBe(413);
      expect(response.headers.get('x-amzn-errortype')).toBe('RequestEntityTooLargeException');
    });

    it('stores a zip published to many regions once', async () => {
      for (const region of ['us-east-1', 'us-west-1', 'eu-north-1']) await publish(region, { LayerName: 'shared' });
      await publish('us-east-1', { LayerName: 'other', Content: { ZipFile: zipB } });
      const stored = await fs.readdir(path.join(dataDir, 'content'));
      expect(stored.sort()).toEqual(
        [zipA, zipB].map((zip) => `${createHash('sha256').update(zip).digest('hex')}.zip`).sort(),
      );
      // Content goes when the last version using it goes.
      await client('us-east-1').send(new DeleteLayerVersionCommand({ LayerName: 'other', VersionNumber: 1 }));
      expect(await fs.readdir(path.join(dataDir, 'content'))).toHaveLength(1);
    });
  });

  describe('limits and validation', () => {
    const cases: [string, Partial<PublishLayerVersionCommandInput> & { LayerName: string }, RegExp][] = [
      ['a name with invalid characters', { LayerName: 'bad name!' }, /at 'layerName' .*regular expression pattern/],
      ['a 141-character name', { LayerName: 'n'.repeat(141) }, /at 'layerName' .*length less than or equal to 140/],
      ['a versioned ARN as name', { LayerName: `arn:aws:lambda:us-east-1:${ACCOUNT}:layer:x:1` }, /at 'layerName'/],
      ['a 257-character description', { LayerName: 'ok', Description: 'd'.repeat(257) }, /at 'description' .*256/],
      ['a 513-character license', { LayerName: 'ok', LicenseInfo: 'l'.repeat(513) }, /at 'licenseInfo' .*512/],
      [
        '16 compatible runtimes',
        { LayerName: 'ok', CompatibleRuntimes: Array(16).fill('python3.12') },
        /at 'compatibleRuntimes' .*less than or equal to 15/,
      ],
      ['an unknown runtime', { LayerName: 'ok', CompatibleRuntimes: ['python9.9' as never] }, /at 'compatibleRuntimes' .*enum value set/],
      [
        'an unknown architecture',
        { LayerName: 'ok', CompatibleArchitectures: ['sparc' as never] },
        /at 'compatibleArchitectures' .*enum value set/,
      ],
    ];
    it.each(cases)('answers ValidationException for %s', async (_label, input, message) => {
      await expectAwsError(publish('us-east-1', input), 'ValidationException', 400, message);
    });

    it('accepts the largest allowed values', async () => {
      const published = await publish('us-east-1', {
        LayerName: 'n'.repeat(140),
        Description: 'd'.repeat(256),
        LicenseInfo: 'l'.repeat(512),
        CompatibleRuntimes: Array(15).fill('python3.12'),
      });
      expect(published.Version).toBe(1);
    });

    it('reports every violation of one request together', async () => {
      const error = await expectAwsError(
        publish('us-east-1', { LayerName: 'ok', Description: 'd'.repeat(300), LicenseInfo: 'l'.repeat(600) }),
        'ValidationException',
        400,
      );
      expect(error.message).toMatch(/^2 validation errors detected: /);
    });
  });

  describe('ListLayerVersions and ListLayers', () => {
    beforeEach(async () => {
      await publish('eu-west-1', { LayerName: 'py', CompatibleRuntimes: ['python3.12'], CompatibleArchitectures: ['x86_64'] });
      await publish('eu-west-1', { LayerName: 'py', CompatibleRuntimes: ['python3.12'], CompatibleArchitectures: ['arm64'] });
      await publish('eu-west-1', { LayerName: 'py', CompatibleRuntimes: ['python3.13'], CompatibleArchitectures: ['arm64'] });
      await publish('eu-west-1', { LayerName: 'node', CompatibleRuntimes: ['nodejs22.x'] });
      await publish('eu-west-1', { LayerName: 'bash', CompatibleRuntimes: ['provided.al2023'], CompatibleArchitectures: ['arm64'] });
      await publish('us-east-1', { LayerName: 'elsewhere', CompatibleRuntimes: ['python3.12'] });
    });

    it('lists versions newest first, filtered by runtime and architecture', async () => {
      const lambda = client('eu-west-1');
      const all = await lambda.send(new ListLayerVersionsCommand({ LayerName: 'py' }));
      expect(all.LayerVersions?.map((v) => v.Version)).toEqual([3, 2, 1]);
      expect(all.NextMarker).toBeUndefined();
      expect(all.LayerVersions?.[0].LayerVersionArn).toBe(`arn:aws:lambda:eu-west-1:${ACCOUNT}:layer:py:3`);
      const py312 = await lambda.send(new ListLayerVersionsCommand({ LayerName: 'py', CompatibleRuntime: 'python3.12' }));
      expect(py312.LayerVersions?.map((v) => v.Version)).toEqual([2, 1]);
      const both = await lambda.send(
        new ListLayerVersionsCommand({ LayerName: 'py', CompatibleRuntime: 'python3.12', CompatibleArchitecture: 'arm64' }),
      );
      expect(both.LayerVersions?.map((v) => v.Version)).toEqual([2]);
      const none = await lambda.send(new ListLayerVersionsCommand({ LayerName: 'no-such-layer' }));
      expect(none.LayerVersions).toEqual([]);
    });

    it('pages versions with MaxItems and Marker', async () => {
      const lambda = client('eu-west-1');
      const first = await lambda.send(new ListLayerVersionsCommand({ LayerName: 'py', MaxItems: 2 }));
      expect(first.LayerVersions?.map((v) => v.Version)).toEqual([3, 2]);
      expect(first.NextMarker).toBeDefined();
      const second = await lambda.send(new ListLayerVersionsCommand({ LayerName: 'py', MaxItems: 2, Marker: first.NextMarker }));
      expect(second.LayerVersions?.map((v) => v.Version)).toEqual([1]);
      expect(second.NextMarker).toBeUndefined();
    });

    it('lists each layer with its latest matching version, per region', async () => {
      const lambda = client('eu-west-1');
      const all = await lambda.send(new ListLayersCommand({}));
      expect(all.Layers?.map((l) => [l.LayerName, l.LatestMatchingVersion?.Version])).toEqual([
        ['bash', 1],
        ['node', 1],
        ['py', 3],
      ]);
      expect(all.Layers?.[2].LayerArn).toBe(`arn:aws:lambda:eu-west-1:${ACCOUNT}:layer:py`);
      const py312 = await lambda.send(new ListLayersCommand({ CompatibleRuntime: 'python3.12' }));
      expect(py312.Layers?.map((l) => [l.LayerName, l.LatestMatchingVersion?.Version])).toEqual([['py', 2]]);
      const arm = await lambda.send(new ListLayersCommand({ CompatibleArchitecture: 'arm64' }));
      expect(arm.Layers?.map((l) => [l.LayerName, l.LatestMatchingVersion?.Version])).toEqual([
        ['bash', 1],
        ['py', 3],
      ]);
      const x86py312 = await lambda.send(new ListLayersCommand({ CompatibleRuntime: 'python3.12', CompatibleArchitecture: 'x86_64' }));
      expect(x86py312.Layers?.map((l) => [l.LayerName, l.LatestMatchingVersion?.Version])).toEqual([['py', 1]]);
      const us = await client('us-east-1').send(new ListLayersCommand({}));
      expect(us.Layers?.map((l) => l.LayerName)).toEqual(['elsewhere']);
    });

    it('pages layers with the SDK paginator', async () => {
      const names: string[] = [];
      let pages = 0;
      for await (const result of paginateListLayers({ client: client('eu-west-1'), pageSize: 1 }, {})) {
        pages++;
        names.push(...(result.Layers ?? []).map((l) => l.LayerName!));
      }
      expect(names).toEqual(['bash', 'node', 'py']);
      expect(pages).toBe(3);
    });

    it('validates filters and MaxItems', async () => {
      const lambda = client('eu-west-1');
      await expectAwsError(lambda.send(new ListLayersCommand({ MaxItems: 0 })), 'ValidationException', 400, /at 'maxItems'/);
      await expectAwsError(lambda.send(new ListLayersCommand({ MaxItems: 51 })), 'ValidationException', 400, /at 'maxItems'/);
      await expectAwsError(
        lambda.send(new ListLayersCommand({ CompatibleRuntime: 'cobol' as never })),
        'ValidationException',
        400,
        /at 'compatibleRuntime'/,
      );
      await expectAwsError(
        lambda.send(new ListLayerVersionsCommand({ LayerName: 'py', CompatibleArchitecture: 'mips' as never })),
        'ValidationException',
        400,
        /at 'compatibleArchitecture'/,
      );
      await expectAwsError(
        lambda.send(new ListLayerVersionsCommand({ LayerName: 'py', Marker: 'not-a-marker' })),
        'InvalidParameterValueException',
        400,
      );
    });
  });

  describe('layer version permissions', () => {
    const layer = 'shared-layer';
    const arn = `arn:aws:lambda:eu-west-1:${ACCOUNT}:layer:${layer}:1`;
    beforeEach(async () => {
      await publish('eu-west-1', { LayerName: layer });
    });

    it('adds, gets and removes statements with AWS-shaped policy documents and changing revision ids', async () => {
      const lambda = client('eu-west-1');
      await expectAwsError(
        lambda.send(new GetLayerVersionPolicyCommand({ LayerName: layer, VersionNumber: 1 })),
        'ResourceNotFoundException',
        404,
        'No policy is associated with the given resource.',
      );
      const added = await lambda.send(
        new AddLayerVersionPermissionCommand({
          LayerName: layer,
          VersionNumber: 1,
          StatementId: 'public',
          Action: 'lambda:GetLayerVersion',
          Principal: '*',
        }),
      );
      expect(added.$metadata.httpStatusCode).toBe(201);
      expect(JSON.parse(added.Statement!)).toEqual({
        Sid: 'public',
        Effect: 'Allow',
        Principal: '*',
        Action: 'lambda:GetLayerVersion',
        Resource: arn,
      });
      const account = await lambda.send(
        new AddLayerVersionPermissionCommand({
          LayerName: layer,
          VersionNumber: 1,
          StatementId: 'account',
          Action: 'lambda:GetLayerVersion',
          Principal: '123456789012',
          RevisionId: added.RevisionId,
        }),
      );
      expect(account.RevisionId).not.toBe(added.RevisionId);
      const org = await lambda.send(
        new AddLayerVersionPermissionCommand({
          LayerName: layer,
          VersionNumber: 1,
          StatementId: 'org',
          Action: 'lambda:GetLayerVersion',
          Principal: '*',
          OrganizationId: 'o-abcdefghij',
        }),
      );
      const policy = await lambda.send(new GetLayerVersionPolicyCommand({ LayerName: layer, VersionNumber: 1 }));
      expect(policy.RevisionId).toBe(org.RevisionId);
      expect(JSON.parse(policy.Policy!)).toEqual({
        Version: '2012-10-17',
        Id: 'default',
        Statement: [
          { Sid: 'public', Effect: 'Allow', Principal: '*', Action: 'lambda:GetLayerVersion', Resource: arn },
          {
            Sid: 'account',
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::123456789012:root' },
            Action: 'lambda:GetLayerVersion',
            Resource: arn,
          },
          {
            Sid: 'org',
            Effect: 'Allow',
            Principal: '*',
            Action: 'lambda:GetLayerVersion',
            Resource: arn,
            Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abcdefghij' } },
          },
        ],
      });

      const removed = await lambda.send(
        new RemoveLayerVersionPermissionCommand({ LayerName: layer, VersionNumber: 1, StatementId: 'account' }),
      );
      expect(removed.$metadata.httpStatusCode).toBe(204);
      const after = await lambda.send(new GetLayerVersionPolicyCommand({ LayerName: layer, VersionNumber: 1 }));
      expect(after.RevisionId).not.toBe(policy.RevisionId);
      expect(JSON.parse(after.Policy!).Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['public', 'org']);
      const snapshot = await emulator.snapshot('eu-west-1');
      expect(snapshot[0].policy?.Statement.map((s) => s.Sid)).toEqual(['public', 'org']);
    });

    it('answers ResourceConflictException for a duplicate statement id and PreconditionFailedException for a stale revision', async () => {
      const lambda = client('eu-west-1');
      const input = { LayerName: layer, VersionNumber: 1, StatementId: 'public', Action: 'lambda:GetLayerVersion', Principal: '*' };
      const first = await lambda.send(new AddLayerVersionPermissionCommand(input));
      await expectAwsError(
        lambda.send(new AddLayerVersionPermissionCommand(input)),
        'ResourceConflictException',
        409,
        'The statement id (public) provided already exists',
      );
      await expectAwsError(
        lambda.send(new AddLayerVersionPermissionCommand({ ...input, StatementId: 'other', RevisionId: 'stale' })),
        'PreconditionFailedException',
        412,
      );
      await expectAwsError(
        lambda.send(
          new RemoveLayerVersionPermissionCommand({ LayerName: layer, VersionNumber: 1, StatementId: 'public', RevisionId: 'stale' }),
        ),
        'PreconditionFailedException',
        412,
      );
      const removed = await lambda.send(
        new RemoveLayerVersionPermissionCommand({ LayerName: layer, VersionNumber: 1, StatementId: 'public', RevisionId: first.RevisionId }),
      );
      expect(removed.$metadata.httpStatusCode).toBe(204);
      await expectAwsError(
        lambda.send(new RemoveLayerVersionPermissionCommand({ LayerName: layer, VersionNumber: 1, StatementId: 'public' })),
        'ResourceNotFoundException',
        404,
        'Statement public is not found in resource policy.',
      );
      await expectAwsError(
        lambda.send(new GetLayerVersionPolicyCommand({ LayerName: layer, VersionNumber: 1 })),
        'ResourceNotFoundException',
        404,
      );
    });

    it('validates grants and refuses grants on versions that do not exist', async () => {
      const lambda = client('eu-west-1');
      const base = { LayerName: layer, VersionNumber: 1, StatementId: 'x', Action: 'lambda:GetLayerVersion', Principal: '*' };
      await expectAwsError(
        lambda.send(new AddLayerVersionPermissionCommand({ ...base, VersionNumber: 9 })),
        'ResourceNotFoundException',
        404,
        `Layer version arn:aws:lambda:eu-west-1:${ACCOUNT}:layer:${layer}:9 does not exist.`,
      );
      await expectAwsError(
        lambda.send(new AddLayerVersionPermissionCommand({ ...base, Action: 'lambda:InvokeFunction' })),
        'ValidationException',
        400,
        /at 'action'/,
      );
      await expectAwsError(
        lambda.send(new AddLayerVersionPermissionCommand({ ...base, Principal: 'someone' })),
        'ValidationException',
        400,
        /at 'principal'/,
      );
      await expectAwsError(
        lambda.send(new AddLayerVersionPermissionCommand({ ...base, OrganizationId: 'org-1' })),
        'ValidationException',
        400,
        /at 'organizationId'/,
      );
      await expectAwsError(
        lambda.send(new AddLayerVersionPermissionCommand({ ...base, StatementId: 'bad id' })),
        'ValidationException',
        400,
        /at 'statementId'/,
      );
      await expectAwsError(
        lambda.send(new GetLayerVersionPolicyCommand({ LayerName: layer, VersionNumber: 9 })),
        'ResourceNotFoundException',
        404,
      );
    });
  });

  describe('persistence', () => {
    it('keeps versions, content and policies across a restart and continues numbering', async () => {
      const first = await publish('eu-west-3', { LayerName: 'kept', CompatibleRuntimes: ['python3.12'] });
      await publish('eu-west-3', { LayerName: 'kept' });
      await client('eu-west-3').send(new DeleteLayerVersionCommand({ LayerName: 'kept', VersionNumber: 2 }));
      await client('eu-west-3').send(
        new AddLayerVersionPermissionCommand({
          LayerName: 'kept',
          VersionNumber: 1,
          StatementId: 'public',
          Action: 'lambda:GetLayerVersion',
          Principal: '*',
        }),
      );
      await emulator.close();

      emulator = await start();
      const got = await client('eu-west-3').send(new GetLayerVersionCommand({ LayerName: 'kept', VersionNumber: 1 }));
      expect(got.Content?.CodeSha256).toBe(first.Content?.CodeSha256);
      expect(got.CompatibleRuntimes).toEqual(['python3.12']);
      const download = await fetch(got.Content!.Location!);
      expect(Buffer.from(await download.arrayBuffer()).equals(zipA)).toBe(true);
      const policy = await client('eu-west-3').send(new GetLayerVersionPolicyCommand({ LayerName: 'kept', VersionNumber: 1 }));
      expect(JSON.parse(policy.Policy!).Statement[0].Sid).toBe('public');
      expect((await publish('eu-west-3', { LayerName: 'kept' })).Version).toBe(3);
    });

    it('has each mutation on disk when its response arrives (a second store opened on the folder sees it)', async () => {
      await publish('eu-west-1', { LayerName: 'durable' });
      await publish('eu-west-2', { LayerName: 'durable' });
      await client('eu-west-2').send(new DeleteLayerVersionCommand({ LayerName: 'durable', VersionNumber: 1 }));
      const { LayerStore } = await import('../../local/lambda-emulator/store');
      const reader = await LayerStore.open(dataDir);
      expect(reader.versionsOf('eu-west-1', 'durable').map((record) => record.version)).toEqual([1]);
      expect(reader.versionsOf('eu-west-2', 'durable')).toEqual([]);
      await reader.close();
      // One line per change in the region's journal, not the region rewritten.
      const journal = await fs.readFile(path.join(dataDir, 'regions', 'eu-west-2.journal.jsonl'), 'utf8');
      expect(journal.trim().split('\n').map((line) => Object.keys(JSON.parse(line).v.versions))).toEqual([['1'], []]);
    });

    it('loads a state folder from before the journal (one JSON file per region) and goes on from it', async () => {
      await emulator.close();
      const old = await publishedRecord();
      await fs.writeFile(
        path.join(dataDir, 'regions', 'sa-east-1.json'),
        JSON.stringify({ formatVersion: 1, region: 'sa-east-1', layers: { legacy: { nextVersion: 3, versions: { '2': { ...old, version: 2 } } } } }, null, 1),
      );
      emulator = await start();
      const got = await client('sa-east-1').send(new GetLayerVersionCommand({ LayerName: 'legacy', VersionNumber: 2 }));
      expect(got.Description).toBe('from an old folder');
      expect((await publish('sa-east-1', { LayerName: 'legacy' })).Version).toBe(3);
      await emulator.close();
      emulator = await start();
      const versions = await client('sa-east-1').send(new ListLayerVersionsCommand({ LayerName: 'legacy' }));
      expect(versions.LayerVersions?.map((version) => version.Version)).toEqual([3, 2]);
    });

    /** A version record as the emulator stores it, with zipA's content in the folder. */
    async function publishedRecord(): Promise<Record<string, unknown>> {
      const probe = await start();
      try {
        await new LambdaClient({ region: 'ap-south-1', endpoint: probe.url, credentials, maxAttempts: 1 }).send(
          new PublishLayerVersionCommand({ LayerName: 'probe', Description: 'from an old folder', Content: { ZipFile: zipA } }),
        );
      } finally {
        await probe.close();
      }
      const line = (await fs.readFile(path.join(dataDir, 'regions', 'ap-south-1.journal.jsonl'), 'utf8')).trim().split('\n')[0];
      return JSON.parse(line).v.versions['1'];
    }

    it('keeps every acknowledged version when the process died in the middle of a journal line', async () => {
      await publish('eu-north-1', { LayerName: 'torn' });
      await publish('eu-north-1', { LayerName: 'torn' });
      await emulator.close();
      await fs.appendFile(path.join(dataDir, 'regions', 'eu-north-1.journal.jsonl'), '{"k":"torn","v":{"nextVer');
      emulator = await start();
      const versions = await client('eu-north-1').send(new ListLayerVersionsCommand({ LayerName: 'torn' }));
      expect(versions.LayerVersions?.map((version) => version.Version)).toEqual([2, 1]);
      expect((await publish('eu-north-1', { LayerName: 'torn' })).Version).toBe(3);
    });

    it('refuses a region snapshot that is not JSON, naming the file and what to do', async () => {
      await publish('eu-west-1', { LayerName: 'broken' });
      await emulator.close();
      const file = path.join(dataDir, 'regions', 'eu-west-1.json');
      await fs.writeFile(file, '{"formatVersion": 1, "layers": {');
      await expect(start()).rejects.toThrow(`Lambda emulator state file ${file} is not valid JSON`);
      await expect(start()).rejects.toThrow('fix or delete it');
      await fs.writeFile(file, '{"formatVersion": 7}');
      await expect(start()).rejects.toThrow(`Lambda emulator state file ${file} has an unknown format; delete it to start over.`);
      await fs.rm(file);
      emulator = await start();
    });

    it('keeps a zip that one region deletes while another publishes it', async () => {
      for (let round = 0; round < 20; round += 1) {
        const name = `race${round}`;
        await publish('us-east-1', { LayerName: name, Content: { ZipFile: zipB } });
        const [, published] = await Promise.all([
          client('us-east-1').send(new DeleteLayerVersionCommand({ LayerName: name, VersionNumber: 1 })),
          publish('us-west-2', { LayerName: name, Content: { ZipFile: zipB } }),
        ]);
        const got = await client('us-west-2').send(new GetLayerVersionCommand({ LayerName: name, VersionNumber: published.Version }));
        const download = await fetch(got.Content!.Location!);
        expect(download.status).toBe(200);
        expect(Buffer.from(await download.arrayBuffer()).equals(zipB)).toBe(true);
        await client('us-west-2').send(new DeleteLayerVersionCommand({ LayerName: name, VersionNumber: published.Version }));
      }
      // Deleted everywhere: the zip goes.
      expect((await fs.readdir(path.join(dataDir, 'content'))).filter((file) => file.endsWith('.zip'))).toEqual([]);
    });
  });

  describe('protocol', () => {
    it('answers unsigned requests and unknown routes like AWS, with the error shape the SDK reads', async () => {
      const unsigned = await fetch(`${emulator.url}/2018-10-31/layers`);
      expect(unsigned.status).toBe(403);
      expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');

      const signedHeaders = {
        authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/eu-west-1/lambda/aws4_request, SignedHeaders=host, Signature=abc',
        'x-amz-date': '20260101T000000Z',
      };
      const unknown = await fetch(`${emulator.url}/2015-03-31/functions`, { headers: signedHeaders });
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');

      const missing = await fetch(`${emulator.url}/2018-10-31/layers/nope/versions/1`, { headers: signedHeaders });
      expect(missing.status).toBe(404);
      expect(missing.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
      const body = (await missing.json()) as Record<string, unknown>;
      expect(body).toEqual({ Type: 'User', Message: body.Message, message: body.Message });
      expect(body.Message).toBe('The resource you requested does not exist.');

      const presigned = await fetch(
        `${emulator.url}/2018-10-31/layers?X-Amz-Credential=${encodeURIComponent('test/20260101/eu-west-1/lambda/aws4_request')}`,
      );
      expect(presigned.status).toBe(200);
      expect(await presigned.json()).toEqual({ Layers: [] });

      const wrongService = await fetch(`${emulator.url}/2018-10-31/layers`, {
        headers: { ...signedHeaders, authorization: signedHeaders.authorization.replace('/lambda/', '/s3/') },
      });
      expect(wrongService.status).toBe(403);
      expect(wrongService.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
    });

    it('takes the region from the signature, also for a client configured with AWS_ENDPOINT_URL_LAMBDA', async () => {
      const previous = process.env.AWS_ENDPOINT_URL_LAMBDA;
      process.env.AWS_ENDPOINT_URL_LAMBDA = emulator.url;
      try {
        const viaEnv = new LambdaClient({ region: 'ca-central-1', credentials, maxAttempts: 1 });
        const published = await viaEnv.send(new PublishLayerVersionCommand({ LayerName: 'env', Content: { ZipFile: zipA } }));
        expect(published.LayerVersionArn).toBe(`arn:aws:lambda:ca-central-1:${ACCOUNT}:layer:env:1`);
      } finally {
        if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_LAMBDA;
        else process.env.AWS_ENDPOINT_URL_LAMBDA = previous;
      }
    });

    it('uses the configured account id in ARNs', async () => {
      await emulator.close();
      emulator = await start({ accountId: '123456789012' });
      const published = await publish('us-east-1', { LayerName: 'acct' });
      expect(published.LayerVersionArn).toBe('arn:aws:lambda:us-east-1:123456789012:layer:acct:1');
    });
  });

  describe('fault injection', () => {
    it('fails matching requests like AWS, only in the region and operation named, for the given number of times', async () => {
      emulator.injectFault({ region: 'eu-west-1', operation: 'PublishLayerVersion', errorType: 'ServiceException', statusCode: 500, times: 1 });
      const error = await expectAwsError(publish('eu-west-1', { LayerName: 'f' }), 'ServiceException', 500);
      expect((error as unknown as { $fault: string }).$fault).toBe('server');
      expect((await publish('eu-west-2', { LayerName: 'f' })).Version).toBe(1);
      expect((await publish('eu-west-1', { LayerName: 'f' })).Version).toBe(1);
    });

    it('throttles with TooManyRequestsException and Retry-After, by layer name, until cleared', async () => {
      emulator.injectFault({ layerName: 'slow', errorType: 'TooManyRequestsException', statusCode: 429, retryAfterSeconds: 3 });
      const error = await expectAwsError(publish('us-east-1', { LayerName: 'slow' }), 'TooManyRequestsException', 429);
      expect((error as unknown as { retryAfterSeconds?: string }).retryAfterSeconds).toBe('3');
      await expectAwsError(
        client('us-east-1').send(new ListLayerVersionsCommand({ LayerName: 'slow' })),
        'TooManyRequestsException',
        429,
      );
      expect((await publish('us-east-1', { LayerName: 'fast' })).Version).toBe(1);
      emulator.clearFaults();
      expect((await publish('us-east-1', { LayerName: 'slow' })).Version).toBe(1);
    });

    it('lets the SDK retry through a transient throttle', async () => {
      emulator.injectFault({ operation: 'GetLayerVersion', errorType: 'TooManyRequestsException', statusCode: 429, retryAfterSeconds: 0, times: 1 });
      await publish('us-east-1', { LayerName: 'retry' });
      const got = await client('us-east-1', 3).send(new GetLayerVersionCommand({ LayerName: 'retry', VersionNumber: 1 }));
      expect(got.Version).toBe(1);
      expect(got.$metadata.attempts).toBe(2);
    });

    it('reads faults from LAMINA_EMULATOR_FAULTS at start and rejects an invalid value', async () => {
      await emulator.close();
      const previous = process.env.LAMINA_EMULATOR_FAULTS;
      try {
        process.env.LAMINA_EMULATOR_FAULTS = JSON.stringify([{ region: 'ap-northeast-1', errorType: 'ServiceException', statusCode: 500 }]);
        emulator = await start();
        await expectAwsError(publish('ap-northeast-1', { LayerName: 'env' }), 'ServiceException', 500);
        expect((await publish('ap-northeast-2', { LayerName: 'env' })).Version).toBe(1);
        await emulator.close();

        process.env.LAMINA_EMULATOR_FAULTS = '[{"region":"x"}]';
        await expect(start()).rejects.toThrow(/LAMINA_EMULATOR_FAULTS\[0\].*errorType/);
      } finally {
        if (previous === undefined) delete process.env.LAMINA_EMULATOR_FAULTS;
        else process.env.LAMINA_EMULATOR_FAULTS = previous;
        emulator = await start();
      }
    });
  });

  it('bounds how many publishes hold content at once (limiter)', async () => {
    const limit = createLimiter(2);
    let running = 0;
    let peak = 0;
    const task = async (value: number) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      return value;
    };
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => limit(() => task(n))));
    expect(results).toEqual([1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
  });

  it('runs tasks of one key in order and tasks of other keys alongside (keyed queue: per layer, per zip)', async () => {
    const queue = createKeyedQueue();
    const events: string[] = [];
    const task = (key: string, n: number, ms: number) =>
      queue(key, async () => {
        events.push(`start ${key}${n}`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        events.push(`end ${key}${n}`);
        if (n === 2) throw new Error('refused');
        return n;
      });
    const results = await Promise.allSettled([task('a', 1, 30), task('a', 2, 1), task('a', 3, 1), task('b', 1, 1)]);
    expect(results.map((result) => (result.status === 'fulfilled' ? result.value : result.reason.message))).toEqual([1, 'refused', 3, 1]);
    // b does not wait for a; a's tasks never overlap and keep their order, a failure included.
    expect(events.indexOf('end b1')).toBeLessThan(events.indexOf('end a1'));
    expect(events.filter((event) => event.endsWith(' a1') || event.endsWith(' a2') || event.endsWith(' a3'))).toEqual(['start a1', 'end a1', 'start a2', 'end a2', 'start a3', 'end a3']);
  });
});
