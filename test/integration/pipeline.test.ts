import { GetLayerVersionPolicyCommand, LambdaClient, ListLayerVersionsCommand } from '@aws-sdk/client-lambda';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { LayerStore } from '../../functions/store/layer-store';
import { taskStates } from '../../statemachine/definition';
import { startLocalPipeline, type LocalPipeline } from '../support/local-pipeline';

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
const catalog = (description = 'Bash custom runtime') => `
settings:
  prefix: lamina
  regions: [${REGIONS.join(', ')}]
  visibility: public
  expiryDays: 30
layers:
  - name: bash
    kind: bash-runtime
    description: ${description}
`;

describe('the local pipeline (real state machine, handlers, dynalite, S3 stand-in, layer emulator)', () => {
  let pipeline: LocalPipeline;
  const lambda = (region: string) => new LambdaClient({ region, endpoint: pipeline.services.env.AWS_ENDPOINT_URL_LAMBDA, maxAttempts: 1 });

  beforeAll(async () => {
    pipeline = await startLocalPipeline(catalog());
  });
  afterAll(() => pipeline?.close());

  it('publishes every layer to every region, public, and records what it published', async () => {
    // Each task gets its own scratch folder (its /tmp) when it uses one, removed after it: Publish never does.
    const scratch = path.join(pipeline.stateDir, 'tmp');
    const folders: Record<string, string[]> = {};
    const handlers = taskStates();
    const onTask = (state: string) => {
      const handler = handlers[state];
      folders[handler] = [...(folders[handler] ?? []), ...readdirSync(scratch).filter((name) => name.startsWith(`${handler}-`))];
    };
    const { summary, outcomes } = await pipeline.run({}, { onTask });
    expect(folders.build).toHaveLength(1);
    expect(folders.publish).toEqual([]);
    expect(readdirSync(scratch)).toEqual([]);
    expect(summary.failed).toBe(false);
    expect(summary.counts.published).toBe(REGIONS.length);
    const store = new LayerStore();
    for (const region of REGIONS) {
      const versions = await lambda(region).send(new ListLayerVersionsCommand({ LayerName: 'lamina-bash' }));
      expect(versions.LayerVersions).toHaveLength(1);
      const version = versions.LayerVersions![0];
      const latest = await store.getLatest(region, 'lamina-bash');
      expect(latest).toMatchObject({ arn: version.LayerVersionArn, version: version.Version, status: 'latest', region });
      expect(latest!.arn).toBe(`arn:aws:lambda:${region}:000000000000:layer:lamina-bash:1`);
      const policy = await lambda(region).send(new GetLayerVersionPolicyCommand({ LayerName: 'lamina-bash', VersionNumber: 1 }));
      const statements = JSON.parse(policy.Policy!).Statement;
      expect(statements).toHaveLength(1);
      expect(statements[0]).toMatchObject({ Principal: '*', Action: 'lambda:GetLayerVersion', Effect: 'Allow' });
    }
    const everywhere = await store.listLatestForLayer('lamina-bash');
    expect(everywhere.items.map((item) => item.region).sort()).toEqual([...REGIONS].sort());
    expect((await store.getRun(summary.runId))?.counts.published).toBe(REGIONS.length);
  });

  it('publishes nothing on a second run, and says the content is unchanged', async () => {
    const { summary, outcomes } = await pipeline.run();
    expect(summary.counts).toMatchObject({ published: 0, failed: 0 });
    expect(outcomes.map((o) => `${o.layerName} ${o.region} ${o.status}`)).toEqual([...REGIONS].sort().map((region) => `lamina-bash ${region} unchanged`));
    expect(summary.targets).toBe(REGIONS.length);
    const versions = await lambda('eu-west-1').send(new ListLayerVersionsCommand({ LayerName: 'lamina-bash' }));
    expect(versions.LayerVersions).toHaveLength(1);
  });

  it('with --force rebuilds but still publishes no duplicate version', async () => {
    const { summary, outcomes } = await pipeline.run({ force: true });
    expect(summary.counts).toMatchObject({ published: 0, unchanged: REGIONS.length, failed: 0 });
  });

  it('reports a failing region while the others publish, and a rerun fills it in', async () => {
    await pipeline.writeCatalog(`${catalog()}  - name: tools\n    kind: bash-runtime\n`);
    pipeline.services.emulator!.injectFault({ region: 'eu-west-1', operation: 'PublishLayerVersion', errorType: 'ServiceException', statusCode: 500 });
    const first = await pipeline.run();
    pipeline.services.emulator!.clearFaults();
    expect(first.summary.failed).toBe(true);
    const tools = first.outcomes.filter((outcome) => outcome.layerName === 'lamina-tools');
    const byRegion = Object.fromEntries(tools.map((outcome) => [outcome.region, outcome]));
    expect(byRegion['eu-west-1']).toMatchObject({ status: 'failed' });
    // A 500 after every retry is the region's failure, which region health counts (functions/regions/health.ts).
    expect(byRegion['eu-west-1']).toMatchObject({ reason: 'region-service-error', detail: expect.any(String) });
    expect(byRegion['us-east-1']).toMatchObject({ status: 'published', version: 1 });
    expect(byRegion['ap-southeast-2']).toMatchObject({ status: 'published', version: 1 });
    expect(first.outcomes).toContainEqual(expect.objectContaining({ layerName: 'lamina-bash', region: 'us-east-1', status: 'unchanged' }));
    expect(first.summary.targets).toBe(2 * REGIONS.length);

    const store = new LayerStore();
    expect(await store.getLatest('eu-west-1', 'lamina-tools')).toBeUndefined();
    expect((await lambda('eu-west-1').send(new ListLayerVersionsCommand({ LayerName: 'lamina-tools' }))).LayerVersions).toEqual([]);

    const second = await pipeline.run();
    expect(second.summary.failed).toBe(false);
    expect(second.outcomes.map((o) => `${o.layerName} ${o.region} ${o.status}`)).toEqual([
      ...['ap-southeast-2', 'eu-west-1', 'us-east-1'].map((region) => `lamina-bash ${region} unchanged`),
      'lamina-tools ap-southeast-2 unchanged',
      'lamina-tools eu-west-1 published',
      'lamina-tools us-east-1 unchanged',
    ]);
    expect(second.outcomes).toContainEqual(
      expect.objectContaining({ layerName: 'lamina-tools', region: 'eu-west-1', version: 1, arn: 'arn:aws:lambda:eu-west-1:000000000000:layer:lamina-tools:1' }),
    );
    expect(second.summary.counts).toEqual({ published: 1, unchanged: 5, repaired: 0, failed: 0, skipped: 0 });
    for (const region of REGIONS) {
      const versions = await lambda(region).send(new ListLayerVersionsCommand({ LayerName: 'lamina-tools' }));
      expect(versions.LayerVersions!.map((version) => version.Version)).toEqual([1]);
      expect((await store.getLatest(region, 'lamina-tools'))?.arn).toBe(versions.LayerVersions![0].LayerVersionArn);
    }
  });

  it('records match the emulator: every live version is recorded with its ARN and CodeSha256', async () => {
    const store = new LayerStore();
    const live = await pipeline.services.emulator!.snapshot();
    expect(live.length).toBe(2 * REGIONS.length);
    for (const version of live) {
      const recorded = await store.getVersion(version.layerName, version.region, version.version);
      expect(recorded).toMatchObject({ arn: version.layerVersionArn, codeSha256: version.codeSha256, status: 'latest' });
    }
  });

  it('makes permissions exactly what the catalog says when visibility changes', async () => {
    const policyOf = async (region: string) => {
      try {
        const policy = await lambda(region).send(new GetLayerVersionPolicyCommand({ LayerName: 'lamina-bash', VersionNumber: 1 }));
        return JSON.parse(policy.Policy!).Statement as { Sid: string; Principal: unknown; Condition?: unknown }[];
      } catch (error) {
        if ((error as Error).name === 'ResourceNotFoundException') return [];
        throw error;
      }
    };
    await pipeline.writeCatalog(catalog().replace('visibility: public', 'visibility: { accounts: ["111111111111", "222222222222"] }'));
    const accounts = await pipeline.run({ only: ['bash'] });
    expect(accounts.summary.counts).toMatchObject({ published: 0, failed: 0 });
    for (const region of REGIONS) {
      const statements = await policyOf(region);
      expect(statements.map((statement) => statement.Principal).sort()).toEqual([
        { AWS: 'arn:aws:iam::111111111111:root' },
        { AWS: 'arn:aws:iam::222222222222:root' },
      ]);
    }
    await pipeline.writeCatalog(catalog().replace('visibility: public', 'visibility: { organization: o-abcdefghij }'));
    await pipeline.run({ only: ['bash'] });
    expect(await policyOf('eu-west-1')).toEqual([
      expect.objectContaining({ Principal: '*', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abcdefghij' } } }),
    ]);
    await pipeline.writeCatalog(catalog().replace('visibility: public', 'visibility: private'));
    await pipeline.run({ only: ['bash'] });
    for (const region of REGIONS) expect(await policyOf(region)).toEqual([]);
  });
});
