import { GetLayerVersionPolicyCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { LayerApi } from '../../functions/aws/lambda-layers';
import { startLambdaEmulator, type LambdaEmulator } from '../../local/lambda-emulator';
import { writeZip } from '../support/zip-writer';

/** applyVisibility against the layer-API emulator: what it asks Lambda, and the policy it leaves. */
describe('layer version permissions (applyVisibility)', () => {
  const REGION = 'eu-west-1';
  let emulator: LambdaEmulator;
  let dataDir: string;
  const saved = { ...process.env };
  let raw: LambdaClient;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'lamina-visibility-'));
    emulator = await startLambdaEmulator({ dataDir });
    Object.assign(process.env, { AWS_ENDPOINT_URL_LAMBDA: emulator.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', LAMINA_CONTROL_PLANE_RATE: '1000' });
    raw = new LambdaClient({ region: REGION, endpoint: emulator.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  });

  afterAll(async () => {
    process.env = saved;
    raw.destroy();
    await emulator.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function newVersion(api: LayerApi, layerName: string): Promise<number> {
    const file = path.join(dataDir, `${layerName}.zip`);
    await writeZip(file, [{ name: 'bin/tool', data: Buffer.from(`#!/bin/sh\necho ${layerName}\n`) }]);
    const zipFile = await readFile(file);
    return (await api.publish({ layerName, description: 'd', runtimes: ['provided.al2023'], architectures: ['x86_64'], content: { zipFile } })).version;
  }

  const operationsOn = (layerName: string, from: number) =>
    emulator.requests().slice(from).filter((request) => request.layerName === layerName).map((request) => request.operation);

  const statementIds = async (layerName: string, version: number) =>
    (JSON.parse((await raw.send(new GetLayerVersionPolicyCommand({ LayerName: layerName, VersionNumber: version }))).Policy!).Statement as { Sid: string }[]).map((s) => s.Sid).sort();

  it('adds the statements to a version it has just published without reading its policy first', async () => {
    const api = new LayerApi(REGION);
    const version = await newVersion(api, 'fresh');
    const from = emulator.requests().length;
    const result = await api.applyVisibility('fresh', version, { accounts: ['111111111111', '222222222222'] }, { fresh: true });
    expect(result).toEqual({ added: ['lamina-account-111111111111', 'lamina-account-222222222222'], removed: [] });
    expect(operationsOn('fresh', from)).toEqual(['AddLayerVersionPermission', 'AddLayerVersionPermission']);
    expect(await statementIds('fresh', version)).toEqual(['lamina-account-111111111111', 'lamina-account-222222222222']);
  });

  it('reads the policy and makes it right when another run added a statement to the fresh version meanwhile', async () => {
    const api = new LayerApi(REGION);
    const version = await newVersion(api, 'raced');
    // An overlapping run saw the version as newest and made it public first.
    await api.applyVisibility('raced', version, 'public');
    const from = emulator.requests().length;
    const result = await api.applyVisibility('raced', version, 'public', { fresh: true });
    expect(result).toEqual({ added: [], removed: [] });
    expect(operationsOn('raced', from)).toEqual(['AddLayerVersionPermission', 'GetLayerVersionPolicy']);
    expect(await statementIds('raced', version)).toEqual(['lamina-public']);
  });

  it('still reads the policy of a version it did not just publish, and removes what is not asked for', async () => {
    const api = new LayerApi(REGION);
    const version = await newVersion(api, 'existing');
    await api.applyVisibility('existing', version, 'public', { fresh: true });
    const from = emulator.requests().length;
    const result = await api.applyVisibility('existing', version, 'private');
    expect(result).toEqual({ added: [], removed: ['lamina-public'] });
    expect(operationsOn('existing', from)).toEqual(['GetLayerVersionPolicy', 'RemoveLayerVersionPermission']);
  });
});
