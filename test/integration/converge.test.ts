import {
  AddLayerVersionPermissionCommand,
  DeleteLayerVersionCommand,
  GetLayerVersionPolicyCommand,
  LambdaClient,
  PublishLayerVersionCommand,
  RemoveLayerVersionPermissionCommand,
} from '@aws-sdk/client-lambda';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { LayerStore } from '../../functions/store/layer-store';
import type { BuildResult } from '../../functions/shared/pipeline-events';
import { createTableInput } from '../../schema/table';
import { LOCAL_BUCKET, LOCAL_TABLE } from '../../local/services';
import { startLocalPipeline, type LocalPipeline } from '../support/local-pipeline';
import { handleListingRequest } from '../../functions/listing/routes';
import { localListingDeps } from '../../local/commands/serve';
import type { RunOutcome } from '../../schema/table';
import { writeZip } from '../support/zip-writer';

const REGIONS = ['us-east-1', 'eu-west-1'];
const LAYER = 'lamina-bash';
/** `audit` off: only what ListLayers, the table and the catalog disagree on gets work. */
const catalog = (visibility = 'public', audit = '{ share: 0, atLeast: 0 }') => `
settings:
  regions: [${REGIONS.join(', ')}]
  visibility: ${visibility}
  audit: ${audit}
layers:
  - name: bash
    kind: bash-runtime
`;

describe('every run converges on what Lambda really holds', () => {
  let pipeline: LocalPipeline;
  let tamperAfterBuild = false;
  const lambda = (region: string) => new LambdaClient({ region, endpoint: pipeline.services.env.AWS_ENDPOINT_URL_LAMBDA, maxAttempts: 1 });
  const store = () => new LayerStore();
  const statusOf = (outcomes: { layerName: string; region?: string; status: string; repairs?: string[] }[]) =>
    outcomes.map((o) => `${o.region} ${o.status}${o.repairs ? ` ${o.repairs.join('+')}` : ''}`);
  const policyOf = async (region: string, version: number) => {
    try {
      const policy = await lambda(region).send(new GetLayerVersionPolicyCommand({ LayerName: LAYER, VersionNumber: version }));
      return (JSON.parse(policy.Policy!).Statement as { Sid: string; Principal: unknown; Condition?: unknown }[]).map((s) => s.Sid).sort();
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') return [];
      throw error;
    }
  };
  /** The table's latest pointers and Lambda's newest versions agree, region by region. */
  const expectRecordsMatchLambda = async () => {
    const live = await pipeline.services.emulator!.snapshot();
    for (const region of REGIONS) {
      const newest = live.filter((v) => v.region === region && v.layerName === LAYER).at(-1)!;
      expect(await store().getLatest(region, LAYER)).toMatchObject({ version: newest.version, arn: newest.layerVersionArn, codeSha256: newest.codeSha256 });
    }
  };

  beforeAll(async () => {
    pipeline = await startLocalPipeline(catalog(), {
      onTask: (state, _input, outcome) => {
        if (state !== 'Build' || !outcome.ok || !tamperAfterBuild) return;
        // Between Build and Publish: flip one byte of the stored zip in the S3 stand-in's own files.
        const key = (outcome.output as BuildResult).layer.artifactKey;
        const file = path.join(pipeline.stateDir, 's3', LOCAL_BUCKET, `${key}._S3rver_object`);
        const bytes = readFileSync(file);
        bytes[bytes.length - 30] ^= 0xff;
        writeFileSync(file, bytes);
      },
    });
    const first = await pipeline.run();
    expect(statusOf(first.outcomes)).toEqual(['eu-west-1 published', 'us-east-1 published']);
  });
  afterAll(() => pipeline?.close());

  it('republishes a version deleted out of band, without --force, and says so', async () => {
    await lambda('eu-west-1').send(new DeleteLayerVersionCommand({ LayerName: LAYER, VersionNumber: 1 }));
    const { outcomes, summary } = await pipeline.run();
    expect(statusOf(outcomes)).toEqual(['eu-west-1 published', 'us-east-1 unchanged']);
    expect(outcomes[0]).toMatchObject({ version: 2, arn: `arn:aws:lambda:eu-west-1:000000000000:layer:${LAYER}:2` });
    expect(summary.counts).toEqual({ published: 1, unchanged: 1, repaired: 0, failed: 0, skipped: 0 });
    await expectRecordsMatchLambda();
    expect(await store().getVersion(LAYER, 'eu-west-1', 1)).toMatchObject({ status: 'deprecated', expiresAt: expect.any(String) });
  });

  it('publishes over a foreign version with other content', async () => {
    const file = path.join(pipeline.stateDir, 'foreign.zip');
    await writeZip(file, [{ name: 'bin/other', data: 'foreign' }]);
    const zip = readFileSync(file);
    await lambda('us-east-1').send(new PublishLayerVersionCommand({ LayerName: LAYER, Content: { ZipFile: zip } }));
    const { outcomes } = await pipeline.run();
    expect(statusOf(outcomes)).toEqual(['eu-west-1 unchanged', 'us-east-1 published']);
    expect(outcomes[1].version).toBe(3);
    await expectRecordsMatchLambda();
  });

  it('repairs a permission added or removed out of band on the audit, and reports the repair', async () => {
    await lambda('us-east-1').send(
      new AddLayerVersionPermissionCommand({ LayerName: LAYER, VersionNumber: 3, StatementId: 'foreign', Action: 'lambda:GetLayerVersion', Principal: '123456789012' }),
    );
    await lambda('eu-west-1').send(new RemoveLayerVersionPermissionCommand({ LayerName: LAYER, VersionNumber: 2, StatementId: 'lamina-public' }));
    // Without an audit nothing disagrees in ListLayers or the table: the change is found by the audit only.
    expect(statusOf((await pipeline.run()).outcomes)).toEqual(['eu-west-1 unchanged', 'us-east-1 unchanged']);
    const audited = await pipeline.run({ audit: true });
    expect(statusOf(audited.outcomes)).toEqual(['eu-west-1 repaired permissions', 'us-east-1 repaired permissions']);
    expect(audited.outcomes[1].detail).toBe('permissions: added none, removed foreign');
    expect(await policyOf('us-east-1', 3)).toEqual(['lamina-public']);
    expect(await policyOf('eu-west-1', 2)).toEqual(['lamina-public']);
    expect(statusOf((await pipeline.run({ audit: true })).outcomes)).toEqual(['eu-west-1 unchanged', 'us-east-1 unchanged']);
  });

  it('an ordinary run with the default audit finds an out-of-band permission by itself', async () => {
    await pipeline.writeCatalog(catalog('public', '{ share: 0.1, atLeast: 100 }'));
    await lambda('eu-west-1').send(new RemoveLayerVersionPermissionCommand({ LayerName: LAYER, VersionNumber: 2, StatementId: 'lamina-public' }));
    expect(statusOf((await pipeline.run()).outcomes)).toEqual(['eu-west-1 repaired permissions', 'us-east-1 unchanged']);
    await pipeline.writeCatalog(catalog());
  });

  it('rebuilds the records when the table is lost, and publishes nothing', async () => {
    const before = (await pipeline.services.emulator!.snapshot()).map((v) => v.layerVersionArn);
    const dynamo = new DynamoDBClient({});
    await dynamo.send(new DeleteTableCommand({ TableName: LOCAL_TABLE }));
    await dynamo.send(new CreateTableCommand(createTableInput(LOCAL_TABLE)));
    dynamo.destroy();
    const { outcomes } = await pipeline.run();
    expect(statusOf(outcomes)).toEqual(['eu-west-1 repaired record', 'us-east-1 repaired record']);
    expect((await pipeline.services.emulator!.snapshot()).map((v) => v.layerVersionArn)).toEqual(before);
    await expectRecordsMatchLambda();
  });

  it('round-trips visibility: public → private → public, and public → accounts → organization → public', async () => {
    const steps: [string, string[]][] = [
      ['private', []],
      ['public', ['lamina-public']],
      ['{ accounts: ["111111111111"] }', ['lamina-account-111111111111']],
      ['{ organization: o-abcdefghij }', ['lamina-organization']],
      ['public', ['lamina-public']],
    ];
    for (const [visibility, sids] of steps) {
      await pipeline.writeCatalog(catalog(visibility));
      const { outcomes } = await pipeline.run();
      expect(statusOf(outcomes)).toEqual(['eu-west-1 repaired permissions', 'us-east-1 repaired permissions']);
      expect(await policyOf('eu-west-1', 2)).toEqual(sids);
      expect(await policyOf('us-east-1', 3)).toEqual(sids);
    }
    expect(statusOf((await pipeline.run()).outcomes)).toEqual(['eu-west-1 unchanged', 'us-east-1 unchanged']);
  });

  it('refuses a zip changed between Build and Publish, and publishes nothing unrecorded', async () => {
    const before = await pipeline.services.emulator!.snapshot();
    await lambda('eu-west-1').send(new DeleteLayerVersionCommand({ LayerName: LAYER, VersionNumber: 2 }));
    tamperAfterBuild = true;
    const refused = await pipeline.run();
    tamperAfterBuild = false;
    expect(refused.outcomes.find((o) => o.region === 'eu-west-1')).toMatchObject({
      status: 'failed',
      reason: 'artifact-mismatch',
      detail: expect.stringMatching(/has sha256 [0-9a-f]{64}, but the build recorded [0-9a-f]{64}; nothing was published/),
    });
    const after = await pipeline.services.emulator!.snapshot();
    expect(after.map((v) => v.layerVersionArn)).toEqual(before.filter((v) => !(v.region === 'eu-west-1' && v.version === 2)).map((v) => v.layerVersionArn));
    // The next run finds the stored zip changed, builds it again and publishes the real content.
    const rerun = await pipeline.run();
    expect(statusOf(rerun.outcomes)).toEqual(['eu-west-1 published', 'us-east-1 unchanged']);
    await expectRecordsMatchLambda();
    // The API says what the run said: the same outcome per layer × region and the same counts as the run record.
    const answer = await handleListingRequest(
      { method: 'GET', path: `/v1/runs/${rerun.summary.runId}`, query: new URLSearchParams('format=json'), headers: {} },
      localListingDeps(),
    );
    const body = JSON.parse(answer.body) as { counts: unknown; targets: number; items: RunOutcome[] };
    expect(body.counts).toEqual(rerun.summary.counts);
    expect((await store().getRun(rerun.summary.runId))?.counts).toEqual(rerun.summary.counts);
    expect(body.targets).toBe(2);
    expect(statusOf(body.items)).toEqual(statusOf(rerun.outcomes));
    const refusedAnswer = JSON.parse(
      (await handleListingRequest({ method: 'GET', path: `/v1/runs/${refused.summary.runId}`, query: new URLSearchParams('format=json'), headers: {} }, localListingDeps())).body,
    ) as { items: RunOutcome[] };
    expect(refusedAnswer.items.find((o) => o.region === 'eu-west-1')).toMatchObject({ status: 'failed', reason: 'artifact-mismatch' });
  });
});
