import { ListLayerVersionsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { readFile } from 'node:fs/promises';
import { onPath } from '../../functions/layers/bash-runtime/kind';
import { LayerStore } from '../../functions/store/layer-store';
import { toListingItem, LAYER_COLUMNS } from '../../functions/listing/items';
import type { FixtureDist } from '../python/support/fixture-index';
import { useFixtureIndex } from '../python/support/harness';
import { startLocalPipeline, type LocalPipeline } from '../support/local-pipeline';

const DISTS: FixtureDist[] = [
  { name: 'goodpkg', version: '1.0', wheels: ['py3-none-any'], entries: [{ name: 'goodpkg/core.py', data: 'VALUE = 42\n' }] },
  { name: 'badpkg', version: '1.0', wheels: ['py3-none-any'], entries: [{ name: 'badmod.py', data: 'raise RuntimeError("badpkg cannot start")\n' }] },
];

const describeIf = onPath('python3.11') && process.arch === 'x64' ? describe : describe.skip;

/**
 * Verify in the real local pipeline: a layer that fails on its runtime is published nowhere and the run summary
 * says what failed, where and why; the others go on; how each published version was verified is in the table and
 * the listing.
 */
describeIf('verification in the local pipeline', () => {
  const harness = useFixtureIndex(DISTS);
  let pipeline: LocalPipeline;
  let first: Awaited<ReturnType<LocalPipeline['run']>>['outcomes'] = [];

  beforeAll(async () => {
    pipeline = await startLocalPipeline(`
settings:
  regions: [us-east-1, eu-west-1]
layers:
  - name: good
    kind: python
    requirements: [goodpkg]
    runtimes: [python3.11]
    architectures: [x86_64, arm64]
    index: ${harness.server.url}
  - name: bad
    kind: python
    requirements: [goodpkg, badpkg]
    runtimes: [python3.11]
    architectures: [x86_64]
    index: ${harness.server.url}
`);
  });
  afterAll(() => pipeline?.close());

  it('publishes nothing for a layer that fails verification, names module, runtime, architecture and error; the others go on', async () => {
    const { summary, outcomes } = await pipeline.run();
    first = outcomes;
    expect(summary.failed).toBe(true);
    const bad = outcomes.filter((o) => o.layerName === 'lamina-py311-x86_64-bad');
    expect(bad.length).toBeGreaterThan(0);
    for (const outcome of bad) {
      expect(outcome).toMatchObject({ status: 'failed', reason: 'verify' });
      expect(outcome.detail).toMatch(/failed verification, nothing was published: python3\.11 x86_64: failed .*module badmod \(distribution badpkg\)[\s\S]*RuntimeError: badpkg cannot start/);
    }
    const lambda = new LambdaClient({ region: 'us-east-1', endpoint: pipeline.services.env.AWS_ENDPOINT_URL_LAMBDA });
    for (const region of ['us-east-1', 'eu-west-1']) {
      const regional = new LambdaClient({ region, endpoint: pipeline.services.env.AWS_ENDPOINT_URL_LAMBDA });
      const versions = await regional.send(new ListLayerVersionsCommand({ LayerName: 'lamina-py311-x86_64-bad' })).catch(() => ({ LayerVersions: [] }));
      expect(versions.LayerVersions ?? []).toEqual([]);
      regional.destroy();
    }
    lambda.destroy();
    expect(outcomes.filter((o) => o.layerName === 'lamina-py311-x86_64-good').map((o) => o.status)).toEqual(['published', 'published']);
  });

  it('records how each version was verified and shows it in the listing; an unverified one says so in its outcome', async () => {
    const store = new LayerStore();
    const good = await store.getLatest('eu-west-1', 'lamina-py311-x86_64-good');
    expect(good?.verifications).toEqual([expect.objectContaining({ runtime: 'python3.11', architecture: 'x86_64', status: 'verified', where: 'local' })]);
    const build = await store.getBuild('lamina-py311-x86_64-good', good!.sha256);
    expect(build?.verifications?.[0]).toMatchObject({ status: 'verified', summary: expect.stringMatching(/compiled \d+ files to cpython-311 bytecode/) });
    // What was published is Verify's output (the built zip plus bytecode): the record and Lambda agree on it.
    expect(build?.builtSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(build?.builtSha256).not.toBe(good!.sha256);
    const regional = new LambdaClient({ region: 'eu-west-1', endpoint: pipeline.services.env.AWS_ENDPOINT_URL_LAMBDA });
    const versions = await regional.send(new ListLayerVersionsCommand({ LayerName: 'lamina-py311-x86_64-good' }));
    regional.destroy();
    expect(versions.LayerVersions?.[0].Version).toBe(good!.version);
    expect(build?.codeSha256).toBe(good!.codeSha256);
    const column = LAYER_COLUMNS.find((c) => c.key === 'verified')!;
    expect(column.value(toListingItem(good!))).toMatch(/^python3\.11 x86_64: verified \(locally, \d{4}-\d\d-\d\dT/);

    const arm = await store.getLatest('us-east-1', 'lamina-py311-arm64-good');
    expect(arm?.verifications).toEqual([expect.objectContaining({ status: 'not verified', reason: expect.stringMatching(/no arm64 Python/) })]);
    for (const outcome of first.filter((o) => o.layerName === 'lamina-py311-arm64-good')) {
      expect(outcome).toMatchObject({ status: 'published', reason: 'not-verified', detail: expect.stringMatching(/published NOT VERIFIED: python3\.11 arm64: not verified: no arm64 Python/) });
    }
    expect(first.filter((o) => o.layerName === 'lamina-py311-arm64-good')).toHaveLength(2);
  });

  it('skips an unverified layer in every region when the catalog says publishUnverified: false', async () => {
    const text = await readFile(pipeline.catalogFile, 'utf8');
    await pipeline.writeCatalog(text.replace('settings:\n', 'settings:\n  publishUnverified: false\n'));
    const { outcomes } = await pipeline.run({ force: true, only: ['good'] });
    const arm = outcomes.filter((o) => o.layerName === 'lamina-py311-arm64-good');
    expect(arm.map((o) => [o.region, o.status, o.reason])).toEqual([
      ['eu-west-1', 'skipped', 'not-verified'],
      ['us-east-1', 'skipped', 'not-verified'],
    ]);
    expect(arm[0].detail).toMatch(/could not be verified and settings\.publishUnverified does not allow publishing it: python3\.11 arm64/);
    expect(outcomes.filter((o) => o.layerName === 'lamina-py311-x86_64-good').every((o) => o.status !== 'failed')).toBe(true);
  });
});
