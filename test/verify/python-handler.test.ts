import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash, createHmac } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeDeterministicZip } from '../../functions/archive/deterministic-zip';
import { listZip } from '../../functions/archive/extract-zip';
import { ArtifactStore } from '../../functions/aws/artifacts';
import { onPath } from '../../functions/layers/bash-runtime/kind';
import { VERIFY_SCRIPT } from '../../functions/layers/python/verify';
import type { VerifyTargetEvent } from '../../functions/shared/pipeline-events';
import { startLocalServices, type LocalServices } from '../../local/services';

// The AWS SDK's own signer (a dependency of the S3 client), as the independent reference for the Python one.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { SignatureV4 } = require('@smithy/signature-v4') as typeof import('@smithy/signature-v4');

const PYTHON_DIR = path.dirname(VERIFY_SCRIPT);
const describeIf = onPath('python3.11') && process.arch === 'x64' ? describe : describe.skip;
if (!onPath('python3.11')) console.warn('Python verify handler tests skipped: no python3.11 on PATH');

class Sha256 {
  private readonly hash;
  constructor(secret?: string | Uint8Array) {
    this.hash = secret ? createHmac('sha256', secret) : createHash('sha256');
  }
  update(data: string | Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

const pythonArgs = (code: string) => ['-I', '-c', `import sys; sys.path.insert(0, ${JSON.stringify(PYTHON_DIR)})\n${code}`];

function python(code: string): string {
  return execFileSync('python3.11', pythonArgs(code), { encoding: 'utf8', env: { PATH: process.env.PATH! } });
}

/** Not execFileSync: the local S3 answers from this same process, so it must keep running meanwhile. */
async function pythonAsync(code: string, env: Record<string, string>): Promise<string> {
  const { stdout } = await promisify(execFile)('python3.11', pythonArgs(code), { encoding: 'utf8', env: { PATH: process.env.PATH!, ...env }, timeout: 120_000 });
  return stdout;
}

describeIf('the Python verify function (standard library only)', () => {
  test.each([
    ['GET', 'lamina-artifacts.s3.eu-west-1.amazonaws.com', '/layers/lamina-py312-arm64-requests/0a1b.zip', 'eu-west-1', undefined],
    ['PUT', 'lamina-artifacts.s3.us-east-1.amazonaws.com', '/runs/2026-01-01/verify/lamina-x/python3.12-arm64.zip', 'us-east-1', 'IQoJb3JpZ2luX2VjEXAMPLETOKEN/+=='],
  ])('signs %s %s%s exactly as the AWS SDK signs it (SigV4, unsigned payload)', async (method, host, key, region, token) => {
    const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', sessionToken: token };
    const date = new Date('2026-12-01T19:30:00Z');
    const signer = new SignatureV4({ credentials, region, service: 's3', sha256: Sha256 as never, uriEscapePath: false, applyChecksum: false });
    const signed = await signer.sign(
      { method, protocol: 'https:', hostname: host, path: key, query: {}, headers: { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } } as never,
      { signingDate: date },
    );
    const ours = JSON.parse(
      python(
        `import json, verify_layer\nprint(json.dumps(verify_layer.sign_request(${JSON.stringify(method)}, ${JSON.stringify(host)}, ${JSON.stringify(key)}, ${JSON.stringify(region)}, '20261201T193000Z', ${JSON.stringify(credentials.accessKeyId)}, ${JSON.stringify(credentials.secretAccessKey)}, ${token ? JSON.stringify(token) : 'None'})))`,
      ),
    ) as Record<string, string>;
    expect(ours.Authorization).toBe((signed as unknown as { headers: Record<string, string> }).headers.authorization);
    if (token) expect(ours['x-amz-security-token']).toBe(token);
  });

  describe('against the local S3', () => {
    let services: LocalServices;
    let stateDir: string;
    beforeAll(async () => {
      stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'lamina-pyhandler-'));
      services = await startLocalServices({ stateDir, inMemory: true, needs: ['s3'] });
    }, 60_000);
    afterAll(async () => {
      await services?.close();
      await fs.rm(stateDir, { recursive: true, force: true });
    });

    test('reads the built zip, compiles and imports it, writes the bytecode back, and answers a Verification', async () => {
      const layer = path.join(stateDir, 'layer');
      await fs.mkdir(path.join(layer, 'python', 'hello'), { recursive: true });
      await fs.writeFile(path.join(layer, 'python', 'hello', '__init__.py'), 'GREETING = "hi"\n');
      const zip = await writeDeterministicZip(layer, path.join(stateDir, 'built.zip'));
      const artifacts = ArtifactStore.fromEnvironment();
      await artifacts.putFile('layers/lamina-py311-x86_64-hello/built.zip', zip.path);
      const event: VerifyTargetEvent = {
        runId: 'run-1',
        layerName: 'lamina-py311-x86_64-hello',
        artifactKey: 'layers/lamina-py311-x86_64-hello/built.zip',
        targetKey: 'runs/run-1/targets/lamina-py311-x86_64-hello.json',
        check: { runtime: 'python3.11', architecture: 'x86_64', functionName: 'verify-python3-11-x86_64', changesKey: 'runs/run-1/verify/lamina-py311-x86_64-hello/python3.11-x86_64.zip' },
      };
      const env = {
        LAMINA_BUCKET: services.env.LAMINA_BUCKET,
        AWS_ENDPOINT_URL_S3: services.env.AWS_ENDPOINT_URL_S3,
        AWS_ACCESS_KEY_ID: services.env.AWS_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: services.env.AWS_SECRET_ACCESS_KEY,
        AWS_REGION: 'us-east-1',
        LAMINA_VERIFY_TMP: stateDir,
      };
      const outcome = JSON.parse(await pythonAsync(`import json, verify_layer\nprint(json.dumps(verify_layer.handler(${JSON.stringify(event)}, None)))`, env));
      expect(outcome).toMatchObject({ runtime: 'python3.11', architecture: 'x86_64', status: 'verified', where: 'aws', changesKey: event.check.changesKey });
      expect(outcome.summary).toMatch(/compiled 1 files to cpython-311 bytecode; imported 1 top-level module \(hello\)/);
      await artifacts.download(event.check.changesKey, path.join(stateDir, 'changes.zip'));
      expect((await listZip(path.join(stateDir, 'changes.zip'))).map((e) => e.name)).toEqual(['python/hello/__pycache__/__init__.cpython-311.pyc']);

      // Asked to verify another runtime than its own, it refuses: a miswired state machine is an error, not a pass.
      const wrong = { ...event, check: { ...event.check, runtime: 'python3.12' } };
      await expect(pythonAsync(`import verify_layer\nverify_layer.handler(${JSON.stringify(wrong)}, None)`, env)).rejects.toThrow(/asked to verify python3\.12 x86_64: the state machine picked the wrong function/);
    });
  });
});
