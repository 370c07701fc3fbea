import { DeleteParameterCommand, GetParameterCommand, GetParametersByPathCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSsmEmulator, type SsmEmulator } from '../../local/ssm-emulator';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

describe('SSM stand-in persistence (snapshot + journal keyed by region and name)', () => {
  let dataDir: string;
  let ssm: SsmEmulator;
  const client = (region: string) => new SSMClient({ region, endpoint: ssm.url, credentials, maxAttempts: 1 });
  const put = (region: string, name: string, value: string) =>
    client(region).send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }));
  const value = async (region: string, name: string) => (await client(region).send(new GetParameterCommand({ Name: name }))).Parameter;

  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'lamina-ssm-'));
    ssm = await startSsmEmulator({ dataDir });
  });

  afterEach(async () => {
    await ssm.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('keeps parameters, versions and deletions of every region across a restart', async () => {
    await put('eu-west-1', '/lamina/layers/a/latest', 'arn-1');
    await put('eu-west-1', '/lamina/layers/a/latest', 'arn-2');
    await put('us-east-1', '/lamina/layers/a/latest', 'arn-us');
    await put('us-east-1', '/lamina/layers/b/latest', 'gone');
    await client('us-east-1').send(new DeleteParameterCommand({ Name: '/lamina/layers/b/latest' }));
    await ssm.close();

    ssm = await startSsmEmulator({ dataDir });
    expect(await value('eu-west-1', '/lamina/layers/a/latest')).toMatchObject({ Value: 'arn-2', Version: 2 });
    expect(await value('us-east-1', '/lamina/layers/a/latest')).toMatchObject({ Value: 'arn-us', Version: 1 });
    await expect(value('us-east-1', '/lamina/layers/b/latest')).rejects.toMatchObject({ name: 'ParameterNotFound' });
    const listed = await client('us-east-1').send(new GetParametersByPathCommand({ Path: '/lamina/layers', Recursive: true }));
    expect(listed.Parameters?.map((parameter) => parameter.Name)).toEqual(['/lamina/layers/a/latest']);
  });

  it('writes one journal line per change, on disk when the response arrives', async () => {
    for (let i = 0; i < 30; i += 1) await put('ap-south-1', `/many/p${i}`, `value ${i}`);
    const before = (await fs.stat(path.join(dataDir, 'parameters.journal.jsonl'))).size;
    await put('ap-south-1', '/many/p7', 'changed');
    const lines = (await fs.readFile(path.join(dataDir, 'parameters.journal.jsonl'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(31);
    const last = JSON.parse(lines[30]);
    expect(last).toMatchObject({ k: 'ap-south-1:/many/p7', v: { Name: '/many/p7', Value: 'changed', Version: 2 } });
    // The change is its own line, not the 30 parameters again.
    expect((await fs.stat(path.join(dataDir, 'parameters.journal.jsonl'))).size - before).toBe(Buffer.byteLength(`${lines[30]}\n`));
  });

  it('loads a parameters.json from before the journal', async () => {
    await ssm.close();
    const old = { 'eu-central-1': { '/old/one': { Name: '/old/one', Type: 'String', Value: 'kept', Version: 4, LastModifiedDate: 1700000000 } } };
    await fs.writeFile(path.join(dataDir, 'parameters.json'), JSON.stringify(old));
    ssm = await startSsmEmulator({ dataDir });
    expect(await value('eu-central-1', '/old/one')).toMatchObject({ Value: 'kept', Version: 4 });
    expect((await put('eu-central-1', '/old/one', 'new')).Version).toBe(5);
    expect(await ssm.parameters('eu-central-1')).toEqual([expect.objectContaining({ Name: '/old/one', Value: 'new', region: 'eu-central-1' })]);
  });

  it('refuses a state file that is not JSON, or not parameters, naming it and what to do', async () => {
    await ssm.close();
    const file = path.join(dataDir, 'parameters.json');
    await fs.writeFile(file, '{"eu-west-1": ');
    await expect(startSsmEmulator({ dataDir })).rejects.toThrow(`SSM stand-in state file ${file} is not valid JSON`);
    await fs.writeFile(file, '[1, 2]');
    await expect(startSsmEmulator({ dataDir })).rejects.toThrow(`SSM stand-in state file ${file} has an unknown format (expected {region: {name: parameter}}); delete it to start over.`);
    await fs.rm(file);
    ssm = await startSsmEmulator({ dataDir });
  });
});
