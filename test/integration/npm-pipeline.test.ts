import { ListLayerVersionsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ArtifactStore } from '../../functions/aws/artifacts';
import { LayerStore } from '../../functions/store/layer-store';
import { NODE_RUNTIME_IDS } from '../../functions/layers/npm/lambda-node-runtimes';
import { serveRegistry, type FixtureRegistry } from '../npm/support/registry';
import { UNIVERSE } from '../npm/support/universe';
import { startLocalPipeline, type LocalPipeline } from '../support/local-pipeline';

// Verified with this machine's own Node.js where its line is a Lambda runtime (nothing to download).
const hostRuntime = `nodejs${process.versions.node.split('.')[0]}.x`;
const RUNTIME = (NODE_RUNTIME_IDS as readonly string[]).includes(hostRuntime) ? hostRuntime : 'nodejs20.x';
const MAJOR = RUNTIME.replace(/^nodejs(\d+)\.x$/, '$1');

/**
 * npm and files layers through the whole local pipeline: the real state machine resolves against an npm registry on
 * 127.0.0.1, builds, verifies (require of each package through the Runtime API), publishes; bad entries fail alone.
 */
describe('npm and files layers in the local pipeline', () => {
  let registry: FixtureRegistry;
  let pipeline: LocalPipeline;

  beforeAll(async () => {
    registry = await serveRegistry(UNIVERSE);
    pipeline = await startLocalPipeline(`
settings:
  regions: [us-east-1, eu-west-1]
  npmRegistryUrl: ${registry.url}
layers:
  - name: greet
    kind: npm
    packages: [greet, fastlib]
    runtimes: [${RUNTIME}]
    architectures: [x86_64]
  - name: native
    kind: npm
    packages: [needs-build]
    runtimes: [${RUNTIME}]
    architectures: [x86_64]
  - name: tampered
    kind: npm
    packages: [greet, tampered]
    runtimes: [${RUNTIME}]
    architectures: [x86_64]
  - name: ghost
    kind: npm
    packages: [no-such-package@1]
    runtimes: [${RUNTIME}]
    architectures: [x86_64]
  - name: config
    kind: files
    sources: [{ folder: config, to: etc }]
`);
    await fs.mkdir(path.join(path.dirname(pipeline.catalogFile), 'config'), { recursive: true });
    await fs.writeFile(path.join(path.dirname(pipeline.catalogFile), 'config', 'app.json'), '{"debug":false}\n');
  });
  afterAll(async () => {
    await pipeline?.close();
    await registry?.close();
  });

  it('publishes the good layers, verified, and fails each bad one alone with its package, target and what to do', async () => {
    const { summary, outcomes } = await pipeline.run();
    expect(summary.failed).toBe(true);
    const status = (layer: string) => outcomes.filter((o) => o.layerName === layer).map((o) => `${o.region} ${o.status}`).sort();
    const good = `lamina-node${MAJOR}-x86_64-greet`;
    expect(status(good)).toEqual(['eu-west-1 published', 'us-east-1 published']);
    expect(status('lamina-config')).toEqual(['eu-west-1 published', 'us-east-1 published']);

    const native = outcomes.filter((o) => o.layerName === `lamina-node${MAJOR}-x86_64-native`);
    expect(native.map((o) => o.status)).toEqual(['failed', 'failed']);
    expect(native[0]).toMatchObject({ reason: 'build', detail: expect.stringMatching(new RegExp(`\\(${RUNTIME} x86_64\\): needs-build@1\\.0\\.0 needs its install script .* lamina runs no install scripts`)) });
    const ghost = outcomes.find((o) => o.layerName === `lamina-node${MAJOR}-x86_64-ghost`);
    expect(ghost).toMatchObject({ status: 'failed', reason: 'plan', detail: expect.stringMatching(/no-such-package@1: no such package on http:\/\/127\.0\.0\.1:\d+\/; check the name's spelling/) });

    // A tarball that does not match its integrity fails its layer's build: nothing of it is stored or published.
    const tampered = outcomes.filter((o) => o.layerName === `lamina-node${MAJOR}-x86_64-tampered`);
    expect(tampered.map((o) => o.status)).toEqual(['failed', 'failed']);
    expect(tampered[0]).toMatchObject({ reason: 'build', detail: expect.stringMatching(/tampered@1\.0\.0 \(http:\/\/127\.0\.0\.1:\d+\/tampered\/-\/tampered-1\.0\.0\.tgz\): integrity mismatch/) });
    const s3 = new S3Client({ region: process.env.LAMINA_BUCKET_REGION ?? 'us-east-1', forcePathStyle: true, endpoint: pipeline.services.env.AWS_ENDPOINT_URL_S3 });
    const stored = await s3.send(new ListObjectsV2Command({ Bucket: pipeline.services.env.LAMINA_BUCKET, Prefix: `layers/lamina-node${MAJOR}-x86_64-tampered` }));
    expect(stored.KeyCount ?? 0).toBe(0);
    const goodStored = await s3.send(new ListObjectsV2Command({ Bucket: pipeline.services.env.LAMINA_BUCKET, Prefix: `layers/${good}/` }));
    expect(goodStored.KeyCount).toBeGreaterThan(0);

    const lambda = new LambdaClient({ region: 'us-east-1', endpoint: pipeline.services.env.AWS_ENDPOINT_URL_LAMBDA });
    for (const bad of ['native', 'tampered', 'ghost']) {
      expect((await lambda.send(new ListLayerVersionsCommand({ LayerName: `lamina-node${MAJOR}-x86_64-${bad}` }))).LayerVersions).toEqual([]);
    }
    const versions = await lambda.send(new ListLayerVersionsCommand({ LayerName: good }));
    expect(versions.LayerVersions?.[0]).toMatchObject({ Version: 1, CompatibleRuntimes: [RUNTIME], CompatibleArchitectures: ['x86_64'] });

    const store = new LayerStore();
    const latest = await store.getLatest('eu-west-1', good);
    expect(latest).toMatchObject({ kind: 'npm', packageVersion: 'greet 1.2.0' });
    const build = await store.getBuild(good, latest!.sha256);
    expect(build?.licenseInfo).toBe('fastlib: BSD-3-Clause; greet: MIT');
    const sbom = JSON.parse(await ArtifactStore.fromEnvironment().getText(build!.sbomKey!));
    expect(sbom.components.map((c: { name: string }) => c.name).sort()).toEqual(['@fast/linux-x64', 'fastlib', 'greet', 'shout']);
  });

  it('rebuilds nothing when the resolved trees did not change', async () => {
    const { outcomes } = await pipeline.run();
    expect(outcomes.filter((o) => o.layerName === `lamina-node${MAJOR}-x86_64-greet`).map((o) => o.status)).toEqual(['unchanged', 'unchanged']);
  });
});
