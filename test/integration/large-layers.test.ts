import { LambdaClient, PublishLayerVersionCommand } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, DeleteBucketCommand, GetBucketLocationCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { ArtifactStore } from '../../functions/aws/artifacts';
import { MAX_DIRECT_UPLOAD_BYTES } from '../../functions/layers/limits';
import { stagingBucketName } from '../../functions/publish/staging';
import { LOCAL_ACCOUNT_ID, LOCAL_DEPLOYMENT_ID } from '../../local/s3-regions/staging-buckets';
import { useFixtureIndex } from '../python/support/harness';
import { startLocalPipeline, type LocalPipeline } from '../support/local-pipeline';
import { writeZip } from '../support/zip-writer';

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
const LAYER = 'lamina-py312-x86_64-bigdata';
const stagingBucket = (region: string) => stagingBucketName(LOCAL_DEPLOYMENT_ID, LOCAL_ACCOUNT_ID, region);

/**
 * A layer of about 60 MB zipped (incompressible wheel content) through the real local pipeline: PublishLayerVersion
 * takes it only from S3 in its own region, so each region's publish goes through that region's staging bucket,
 * which the embedded S3 knows the region of; the staged copies are gone afterwards.
 */
describe('layers over 50 MB in every region', () => {
  const harness = useFixtureIndex([{ name: 'bigdata', version: '1.0', wheels: ['py3-none-any'], payloadBytes: 60 * 1024 * 1024 }]);
  let pipeline: LocalPipeline;
  const catalog = (regions: string[]) => `
settings:
  regions: [${regions.join(', ')}]
layers:
  - name: bigdata
    kind: python
    requirements: [bigdata]
    runtimes: [python3.12]
    architectures: [x86_64]
    index: ${harness.server.url}
`;
  const s3 = (region: string) => new S3Client({ region, forcePathStyle: true });

  beforeAll(async () => {
    pipeline = await startLocalPipeline(catalog(REGIONS));
  }, 120_000);
  afterAll(async () => {
    jest.restoreAllMocks();
    await pipeline?.close();
  });

  it('the embedded S3 knows the region of each staging bucket', async () => {
    for (const region of [...REGIONS, 'sa-east-1']) {
      const { LocationConstraint } = await s3(region).send(new GetBucketLocationCommand({ Bucket: stagingBucket(region) }));
      // S3 answers an empty location for us-east-1.
      expect({ region, LocationConstraint: LocationConstraint ?? '' }).toEqual({ region, LocationConstraint: region === 'us-east-1' ? '' : region });
    }
    expect(await new ArtifactStore(process.env.LAMINA_BUCKET!).region()).toBe('us-east-1');
  });

  it('publishes it in each region from that region’s staging bucket, and deletes the staged copies', async () => {
    const reads = jest.spyOn(ArtifactStore.prototype, 'getBuffer');
    const copies = jest.spyOn(ArtifactStore.prototype, 'copyTo');
    const { summary, outcomes } = await pipeline.run();
    expect(summary.failures).toEqual([]);
    expect(outcomes.map((o) => `${o.region} ${o.status}`).sort()).toEqual(REGIONS.map((r) => `${r} published`).sort());

    const build = (await pipeline.services.emulator!.snapshot()).filter((version) => version.layerName === LAYER);
    expect(build.map((version) => version.region).sort()).toEqual([...REGIONS].sort());
    for (const version of build) expect(version.codeSize).toBeGreaterThan(MAX_DIRECT_UPLOAD_BYTES);
    expect(new Set(build.map((version) => version.codeSha256)).size).toBe(1);

    // One server-side copy per region, each into that region's bucket; Lambda (the emulator) read each from there.
    expect(copies.mock.calls.map(([to]) => `${to.region} ${to.bucket}`).sort()).toEqual(REGIONS.map((r) => `${r} ${stagingBucket(r)}`).sort());
    const zipReads = reads.mock.contexts.map((store, index) => `${(store as ArtifactStore).bucket} ${reads.mock.calls[index][0]}`);
    for (const region of REGIONS) {
      expect(zipReads).toContainEqual(expect.stringMatching(new RegExp(`^${stagingBucket(region)} layers/staged/`)));
    }
    // No layer zip was read whole by Publish (only the emulator reads the staged copies).
    expect(zipReads.filter((read) => read.startsWith(`${process.env.LAMINA_BUCKET} layers/`))).toEqual([]);

    for (const region of REGIONS) {
      const listed = await s3(region).send(new ListObjectsV2Command({ Bucket: stagingBucket(region) }));
      expect({ region, staged: listed.KeyCount ?? 0 }).toEqual({ region, staged: 0 });
    }
    reads.mockRestore();
    copies.mockRestore();
  }, 300_000);

  it('a rerun publishes nothing and copies nothing', async () => {
    const copies = jest.spyOn(ArtifactStore.prototype, 'copyTo');
    const { summary } = await pipeline.run();
    expect(summary.counts).toMatchObject({ published: 0, failed: 0 });
    expect(copies).not.toHaveBeenCalled();
    copies.mockRestore();
  }, 300_000);

  it('a region whose staging bucket is missing fails alone, naming the bucket, the region and the remedy', async () => {
    const missing = 'ca-central-1';
    await s3(missing).send(new DeleteBucketCommand({ Bucket: stagingBucket(missing) }));
    await pipeline.writeCatalog(catalog([...REGIONS, missing, 'sa-east-1']));
    const { outcomes } = await pipeline.run();
    const byRegion = Object.fromEntries(outcomes.map((o) => [o.region, o]));
    expect(byRegion['sa-east-1'].status).toBe('published');
    for (const region of REGIONS) expect(byRegion[region].status).toBe('unchanged');
    expect(byRegion[missing]).toMatchObject({ status: 'failed' });
    expect(byRegion[missing].detail).toMatch(
      new RegExp(`staging bucket ${stagingBucket(missing)} of ${missing} does not exist \\(NoSuchBucket\\); deploy the staging stack of ${missing} \\(\`npx cdk deploy --all\``),
    );
    expect((await pipeline.services.emulator!.snapshot(missing)).filter((v) => v.layerName === LAYER)).toEqual([]);
  }, 300_000);

  it('the layer API refuses S3 content from a bucket in another region, with AWS’s error', async () => {
    await s3('eu-west-1').send(new CreateBucketCommand({ Bucket: 'elsewhere-eu', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    const zip = `${harness.dir}/tiny.zip`;
    await writeZip(zip, [{ name: 'bin/hello', data: '#!/bin/sh\necho hi\n' }]);
    await s3('eu-west-1').send(new PutObjectCommand({ Bucket: 'elsewhere-eu', Key: 'tiny.zip', Body: readFileSync(zip) }));
    const publishIn = (region: string) =>
      new LambdaClient({ region }).send(new PublishLayerVersionCommand({ LayerName: 'lamina-tiny', Content: { S3Bucket: 'elsewhere-eu', S3Key: 'tiny.zip' } }));
    const refused = publishIn('us-east-1');
    await expect(refused).rejects.toMatchObject({ name: 'InvalidParameterValueException', $metadata: { httpStatusCode: 400 } });
    await expect(refused).rejects.toThrow(
      'Error occurred while GetObject. S3 Error Code: PermanentRedirect. S3 Error Message: The bucket is in this region: eu-west-1. Please use this region to retry the request',
    );
    // In its own region the same object publishes.
    await expect(publishIn('eu-west-1')).resolves.toMatchObject({ Version: 1 });
  });

  it('CreateBucket follows S3’s region rules', async () => {
    // Signed for eu-west-1 without naming it (the SDK always names it, so the request is written by hand): S3
    // refuses, so a bucket never lands in a region nobody asked for.
    const response = await fetch(`${process.env.AWS_ENDPOINT_URL_S3}/no-constraint-eu`, {
      method: 'PUT',
      headers: { authorization: 'AWS4-HMAC-SHA256 Credential=S3RVER/20260101/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=00' },
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('<Code>IllegalLocationConstraintException</Code><Message>The unspecified location constraint is incompatible');
    await expect(
      s3('us-east-1').send(new CreateBucketCommand({ Bucket: 'explicit-us', CreateBucketConfiguration: { LocationConstraint: 'us-east-1' as never } })),
    ).rejects.toMatchObject({ name: 'InvalidLocationConstraint' });
  });
});
