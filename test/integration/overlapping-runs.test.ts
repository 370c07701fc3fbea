import { GetLayerVersionPolicyCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LayerStore } from '../../functions/store/layer-store';
import type { RunOutcome } from '../../schema/table';
import { startLocalServices, type LocalServices } from '../../local/services';
import { lamina, type CliResult } from '../support/cli';

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
const LAYERS = ['alpha', 'beta', 'gamma'];
const CATALOG = `
settings:
  regions: [${REGIONS.join(', ')}]
layers:
${LAYERS.map((name) => `  - name: ${name}\n    kind: bash-runtime\n    description: ${name} layer`).join('\n')}
`;

/** `lamina run --json` in its own process, on the services this test runs (so both runs share them). */
function runOn(dir: string, scratch: string, services: LocalServices): Promise<CliResult> {
  return lamina(['run', '--json', '--state', scratch], dir, services.env);
}

describe('two lamina runs at once on shared services', () => {
  let dir: string;
  let services: LocalServices;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lamina-overlap-'));
    await writeFile(path.join(dir, 'catalog.yaml'), CATALOG);
    services = await startLocalServices({ stateDir: path.join(dir, 'services'), inMemory: true });
  });
  afterAll(async () => {
    await services?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('publish exactly one version of each layer in each region, with its permission and its records', async () => {
    const [first, second] = await Promise.all([runOn(dir, path.join(dir, 'a'), services), runOn(dir, path.join(dir, 'b'), services)]);
    expect({ code: first.code, stderr: first.code === 0 ? '' : first.stderr }).toEqual({ code: 0, stderr: '' });
    expect({ code: second.code, stderr: second.code === 0 ? '' : second.stderr }).toEqual({ code: 0, stderr: '' });
    const live = await services.emulator!.snapshot();
    expect(live.map((v) => `${v.layerName} ${v.region} ${v.version}`).sort()).toEqual(
      LAYERS.flatMap((name) => REGIONS.map((region) => `lamina-${name} ${region} 1`)).sort(),
    );
    // Each layer × region was published by exactly one of the two runs; the other found it done (or waited).
    const outcomes = [first, second].map((result) => JSON.parse(result.stdout).outcomes as RunOutcome[]);
    for (const name of LAYERS) {
      for (const region of REGIONS) {
        const statuses = outcomes.map((list) => list.find((o) => o.layerName === `lamina-${name}` && o.region === region)?.status);
        expect({ name, region, published: statuses.filter((status) => status === 'published').length }).toEqual({ name, region, published: 1 });
        expect(statuses.every((status) => status === 'published' || status === 'unchanged' || status === 'repaired')).toBe(true);
      }
    }
    const store = new LayerStore();
    const lambda = (region: string) => new LambdaClient({ region, endpoint: services.env.AWS_ENDPOINT_URL_LAMBDA, maxAttempts: 1 });
    for (const version of live) {
      expect(await store.getLatest(version.region, version.layerName)).toMatchObject({ version: 1, arn: version.layerVersionArn, status: 'latest', codeSha256: version.codeSha256 });
      const policy = await lambda(version.region).send(new GetLayerVersionPolicyCommand({ LayerName: version.layerName, VersionNumber: 1 }));
      expect(JSON.parse(policy.Policy!).Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['lamina-public']);
    }
  });
});
