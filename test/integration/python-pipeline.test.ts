import { ListLayerVersionsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ArtifactStore } from '../../functions/aws/artifacts';
import { LayerStore } from '../../functions/store/layer-store';
import { useFixtureIndex } from '../python/support/harness';
import { startLocalPipeline, type LocalPipeline } from '../support/local-pipeline';

/**
 * Python layers through the whole local pipeline: the real state machine resolves against a package index on
 * 127.0.0.1, builds, stores the SBOM beside the zip and publishes; a broken entry fails alone.
 */
describe('python layers in the local pipeline', () => {
  const harness = useFixtureIndex();
  let pipeline: LocalPipeline;
  const catalog = (requirements: string, extra = '') => `
settings:
  regions: [us-east-1, eu-west-1]
layers:
  - name: bash
    kind: bash-runtime
  - name: requests
    kind: python
    requirements: ["${requirements}"]
    runtimes: [python3.12]
    architectures: [x86_64, arm64]
    index: ${harness.server.url}
${extra}`;

  beforeAll(async () => {
    pipeline = await startLocalPipeline(catalog('requests'));
  });
  afterAll(() => pipeline?.close());

  it('publishes one layer per runtime × architecture with the package version, and its SBOM', async () => {
    const { summary, outcomes } = await pipeline.run();
    expect(summary.failed).toBe(false);
    const published = outcomes.filter((outcome) => outcome.status === 'published').map((o) => `${o.layerName} ${o.region}`);
    expect(published).toEqual(
      expect.arrayContaining([
        'lamina-py312-x86_64-requests us-east-1',
        'lamina-py312-x86_64-requests eu-west-1',
        'lamina-py312-arm64-requests us-east-1',
        'lamina-py312-arm64-requests eu-west-1',
      ]),
    );
    const store = new LayerStore();
    const latest = await store.getLatest('eu-west-1', 'lamina-py312-arm64-requests');
    expect(latest).toMatchObject({ kind: 'python', runtimes: ['python3.12'], architectures: ['arm64'], packageVersion: 'requests 2.32.3' });
    expect(latest!.description).toContain('2.32.3');
    const build = await store.getBuild('lamina-py312-arm64-requests', latest!.sha256);
    expect(build?.sbomKey).toBeDefined();
    const sbom = JSON.parse(await ArtifactStore.fromEnvironment().getText(build!.sbomKey!));
    expect(sbom.bomFormat).toBe('CycloneDX');
    expect(sbom.components.map((component: { name: string }) => component.name)).toEqual(expect.arrayContaining(['requests', 'urllib3']));
  });

  it('keeps every state small: resolved targets wait in S3 and outcomes go to the table', async () => {
    // A resolved Python target carries its whole wheel set; none of it may travel through Step Functions.
    expect(pipeline.largestTaskOutput()).toBeGreaterThan(0);
    expect(pipeline.largestTaskOutput()).toBeLessThan(4096);
  });

  it('skips targets whose resolved set did not change', async () => {
    const { summary, outcomes } = await pipeline.run();
    expect(summary.counts).toMatchObject({ published: 0, failed: 0 });
    expect(outcomes).toContainEqual(expect.objectContaining({ layerName: 'lamina-py312-arm64-requests', status: 'unchanged' }));
  });

  it('fails an unresolvable entry and a build with a bad hash alone, publishing nothing for them', async () => {
    await pipeline.writeCatalog(
      catalog('requests==2.32.3', `  - name: ghost\n    kind: python\n    requirements: [no-such-package]\n    runtimes: [python3.12]\n    architectures: [x86_64]\n    index: ${harness.server.url}\n`),
    );
    const wheel = Object.keys(harness.index.files).find((name) => name.startsWith('idna-3.8-'))!;
    harness.server.options = { wrongHashes: { [wheel]: '0'.repeat(64) } };
    const { summary, outcomes } = await pipeline.run({ force: true });
    harness.server.options = {};
    const ghost = outcomes.find((outcome) => outcome.layerName === 'lamina-py312-x86_64-ghost');
    expect(ghost).toMatchObject({ status: 'failed' });
    expect(ghost).toMatchObject({ reason: 'plan', detail: expect.stringMatching(/no-such-package/) });
    const requests = outcomes.filter((outcome) => outcome.layerName.endsWith('-requests'));
    // One outcome per layer × region: both targets failed their build, so neither region got either.
    expect(requests.map((outcome) => `${outcome.layerName} ${outcome.region} ${outcome.status}`).sort()).toEqual([
      'lamina-py312-arm64-requests eu-west-1 failed',
      'lamina-py312-arm64-requests us-east-1 failed',
      'lamina-py312-x86_64-requests eu-west-1 failed',
      'lamina-py312-x86_64-requests us-east-1 failed',
    ]);
    expect(requests[0]).toMatchObject({ reason: 'build', detail: expect.stringMatching(/sha256|hash/i) });
    expect(outcomes).toContainEqual(expect.objectContaining({ layerName: 'lamina-bash', status: 'unchanged' }));
    const lambda = new LambdaClient({ region: 'us-east-1', endpoint: pipeline.services.env.AWS_ENDPOINT_URL_LAMBDA });
    expect((await lambda.send(new ListLayerVersionsCommand({ LayerName: 'lamina-py312-x86_64-ghost' }))).LayerVersions).toEqual([]);
    const versions = await lambda.send(new ListLayerVersionsCommand({ LayerName: 'lamina-py312-x86_64-requests' }));
    expect(versions.LayerVersions?.map((version) => version.Version)).toEqual([1]);
  });
});
