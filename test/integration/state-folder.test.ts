import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ArtifactStore } from '../../functions/aws/artifacts';
import { startLocalServices } from '../../local/services';
import { HOLDER_FILE } from '../../local/state-folder/holder';
import { childProcessesOf, ONE_BASH_LAYER_CATALOG, ROOT } from '../support/cli';
import { startTestTable } from '../support/dynamo';

/** A child's environment without the endpoints this test process set for itself. */
const ownEnvironment = () => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('AWS_ENDPOINT_URL')) delete env[name];
  return env;
};

describe('the local state folder', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lamina-state-folder-'));
    await writeFile(path.join(dir, 'catalog.yaml'), ONE_BASH_LAYER_CATALOG);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('a second process fails at once with "state folder in use by PID n", exit 2', async () => {
    const stateDir = path.join(dir, 'state');
    const services = await startLocalServices({ stateDir, command: 'run' });
    try {
      const started = Date.now();
      const list = await spawnLamina(['list', '--state', stateDir], dir);
      expect(list.code).toBe(2);
      expect(list.stderr).toContain(`state folder ${stateDir} in use by PID ${process.pid} (lamina run)`);
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      await services.close();
    }
    // Released on close; a holder that died is replaced.
    expect(await readdir(stateDir)).not.toContain(HOLDER_FILE);
    await writeFile(path.join(stateDir, HOLDER_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, command: 'run', shared: false, startedAt: '' }));
    const again = await startLocalServices({ stateDir, command: 'run' });
    await again.close();
  });

  it('`lamina list` and `lamina run` use the services of a running `lamina serve` instead of crashing', async () => {
    const stateDir = path.join(dir, 'state');
    expect((await spawnLamina(['run', '--state', stateDir], dir)).code).toBe(0);
    const serve = spawn(process.execPath, [path.join(ROOT, 'bin', 'lamina.cjs'), 'serve', '--port', '0', '--state', stateDir], { cwd: dir, env: ownEnvironment() });
    try {
      await new Promise<void>((resolve, reject) => {
        let stderr = '';
        serve.stderr.on('data', (chunk) => {
          stderr += chunk;
          if (stderr.includes('Listing API and page at')) resolve();
        });
        serve.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
      });
      const list = await spawnLamina(['list', '--state', stateDir, '--format', 'json'], dir);
      expect(list.stderr).not.toMatch(/Database is closed/);
      expect(list.code).toBe(0);
      expect(JSON.parse(list.stdout).map((item: { arn: string }) => item.arn)).toEqual(['arn:aws:lambda:us-east-1:000000000000:layer:lamina-bash:1']);
      const rerun = await spawnLamina(['run', '--state', stateDir], dir);
      expect(rerun.code).toBe(0);
      // The PID is the serving process: bin/lamina.cjs started node anew with serve's node flags.
      const holder = Number(/the services of lamina serve \(PID (\d+)\)/.exec(rerun.stderr)?.[1]);
      expect(childProcessesOf(serve.pid!).map((child) => child.pid)).toContain(holder);
    } finally {
      serve.kill('SIGTERM');
      await new Promise((resolve) => serve.once('exit', resolve));
    }
  });

  it('a corrupt DynamoDB store names the folder and the remedy, exit 2', async () => {
    const stateDir = path.join(dir, 'state');
    await (await startLocalServices({ stateDir, command: 'run' })).close();
    for (const file of await readdir(path.join(stateDir, 'dynamodb'))) await writeFile(path.join(stateDir, 'dynamodb', file), 'garbage');
    const list = await spawnLamina(['list', '--state', stateDir], dir);
    expect(list.code).toBe(2);
    const store = path.join(stateDir, 'dynamodb');
    expect(list.stderr).toContain(`the local DynamoDB store in ${store} cannot be opened (`);
    expect(list.stderr).toContain(`move it aside (mv ${store} ${store}.broken) and run \`lamina run\` again`);
  });

  it("uses an endpoint_url from the AWS shared config file, through the SDK's own loading", async () => {
    const external = await startTestTable('config-file');
    const config = path.join(dir, 'aws-config');
    await writeFile(config, `[default]\nservices = local\n\n[services local]\ndynamodb =\n  endpoint_url = ${external.endpoint}\n`);
    const saved = { ...process.env };
    // A configured service is a real one: lamina signs with the user's credentials (here, a LocalStack-style pair).
    Object.assign(process.env, { AWS_CONFIG_FILE: config, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
    try {
      const services = await startLocalServices({ stateDir: path.join(dir, 'state') });
      try {
        expect(services.reused).toContain(`DynamoDB at ${external.endpoint}`);
        expect(services.started.some((line) => line.startsWith('DynamoDB'))).toBe(false);
      } finally {
        await services.close();
      }
    } finally {
      for (const name of ['AWS_CONFIG_FILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
      await external.close();
    }
  });

  it("signs with the user's credentials beside the embedded S3, not the S3 stand-in's", async () => {
    const external = await startTestTable('real-dynamodb');
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ENDPOINT_URL_DYNAMODB: external.endpoint, AWS_ACCESS_KEY_ID: 'AKIAUSERKEY', AWS_SECRET_ACCESS_KEY: 'user-secret' });
    try {
      const services = await startLocalServices({ stateDir: path.join(dir, 'state') });
      try {
        expect(process.env.AWS_ACCESS_KEY_ID).toBe('AKIAUSERKEY');
        expect(services.env.AWS_ACCESS_KEY_ID).toBeUndefined();
        // The embedded S3 takes the user's key.
        const artifacts = ArtifactStore.fromEnvironment();
        await artifacts.putText('probe.txt', 'hello', 'text/plain');
        expect(await artifacts.getText('probe.txt')).toBe('hello');
      } finally {
        await services.close();
      }
    } finally {
      for (const name of ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
      await external.close();
    }
  });
});

function spawnLamina(args: string[], cwd: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'lamina.cjs'), ...args], { cwd, env: { ...ownEnvironment(), LAMINA_LOG_FORMAT: 'text' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
