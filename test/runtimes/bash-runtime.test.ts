import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { digestOf } from '../../functions/archive/digest';
import { writeDeterministicZip } from '../../functions/archive/deterministic-zip';
import { listZip } from '../../functions/archive/extract-zip';
import { BASH_BOOTSTRAP } from '../../functions/layers/bash-runtime/bootstrap';
import { bashRuntimeKind, TUTORIAL_FUNCTION } from '../../functions/layers/bash-runtime/kind';
import { hostEnvironment } from '../../functions/verify/environments';
import { invokeFunction, type InvokeResult } from '../../functions/runtime-api/invoke';
import { RuntimeApiServer, type FunctionError } from '../../functions/runtime-api/server';
import { bashLayer, writeFiles } from './support/fixtures';

let scratch: string;
let layerZip: string;
let code: string;

const FUNCTIONS = {
  'function.sh': TUTORIAL_FUNCTION,
  'more.sh': `
fails () { echo "it went wrong"; return 3; }
big () { head -c 300000 /dev/zero | tr '\\0' 'a'; }
tmpcount () { ls -A "$TMPDIR" | wc -l | tr -d ' '; }
pid () { echo "$$"; }
headers () { printf '%s|%s' "$LAMBDA_RUNTIME_AWS_REQUEST_ID" "$_X_AMZN_TRACE_ID"; }
exits () { exit 0; }
`,
};

beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'lamina-bash-test-'));
  const target = bashRuntimeKind.expand({ name: 'bash', kind: 'bash-runtime' }, { prefix: 'lamina' })[0];
  const ctx = { workDir: path.join(scratch, 'build'), cacheDir: path.join(scratch, 'cache'), log: () => undefined };
  const built = await bashRuntimeKind.build(await bashRuntimeKind.resolve(target, ctx), ctx);
  layerZip = (await writeDeterministicZip(built.rootDir, path.join(scratch, 'lamina-bash.zip'))).path;
  code = await writeFiles(path.join(scratch, 'code'), FUNCTIONS);
});

afterAll(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});

const run = (handler: string, events: unknown[] = [{}], timeoutSeconds = 5) => invokeFunction({ layers: [layerZip], code, handler, events, timeoutSeconds });

function failed(result: InvokeResult): FunctionError {
  if (result.ok) throw new Error(`expected an error, got ${result.payload}`);
  return result.error;
}

describe('bash-runtime kind', () => {
  test('one architecture-independent target named <prefix>-<name> for provided.al2023 and provided.al2', () => {
    const targets = bashRuntimeKind.expand({ name: 'bash', kind: 'bash-runtime', description: 'Bash!' }, { prefix: 'acme' });
    expect(targets).toEqual([
      expect.objectContaining({
        entry: 'bash',
        kind: 'bash-runtime',
        layerName: 'acme-bash',
        runtimes: ['provided.al2023', 'provided.al2'],
        architectures: ['x86_64', 'arm64'],
        description: 'Bash!',
      }),
    ]);
  });

  test('entry schema accepts the documented fields only', () => {
    expect(bashRuntimeKind.entrySchema.safeParse({ name: 'bash', kind: 'bash-runtime' }).success).toBe(true);
    expect(bashRuntimeKind.entrySchema.safeParse({ name: 'bash', kind: 'bash-runtime', version: '5' }).success).toBe(false);
    expect(bashRuntimeKind.entrySchema.safeParse({ name: 'has space', kind: 'bash-runtime' }).success).toBe(false);
  });

  test('resolve pins the bootstrap content, so a changed bootstrap means a rebuild', async () => {
    const target = bashRuntimeKind.expand({ name: 'bash', kind: 'bash-runtime' }, { prefix: 'lamina' })[0];
    const resolved = await bashRuntimeKind.resolve(target, { workDir: scratch, cacheDir: scratch, log: () => undefined });
    expect(resolved.inputs).toEqual({ bootstrapSha256: digestOf(Buffer.from(BASH_BOOTSTRAP)).sha256 });
  });

  test('the zip holds bootstrap at its root with mode 0755', async () => {
    const entries = await listZip(layerZip);
    expect(entries.map((entry) => entry.name)).toEqual(['bootstrap']);
    expect(entries[0].mode & 0o777).toBe(0o755);
  });

  test('verification passes on the built layer', async () => {
    const dir = await bashLayer(path.join(scratch, 'smoke-layer'));
    const target = await bashRuntimeKind.resolve(bashRuntimeKind.expand({ name: 'bash', kind: 'bash-runtime' }, { prefix: 'lamina' })[0], {
      workDir: scratch,
      cacheDir: scratch,
      log: () => undefined,
    });
    const env = await hostEnvironment({ runtime: 'provided.al2023', architecture: 'x86_64' }, { cacheDir: scratch });
    const report = await bashRuntimeKind.verify!.run(target, dir, { workDir: path.join(scratch, 'smoke'), cacheDir: scratch, log: () => undefined, env });
    // bash and curl are on this machine, so the verification must really run.
    expect(report.summary).toContain('the tutorial function answered through the bootstrap');
  });

  test('verification fails a layer whose bootstrap does not answer like the tutorial', async () => {
    const broken = await writeFiles(path.join(scratch, 'broken-layer'), {
      bootstrap: '#!/bin/sh\necho "broken runtime" >&2\nexit 3\n',
    });
    const target = await bashRuntimeKind.resolve(bashRuntimeKind.expand({ name: 'bash', kind: 'bash-runtime' }, { prefix: 'lamina' })[0], {
      workDir: scratch,
      cacheDir: scratch,
      log: () => undefined,
    });
    const env = await hostEnvironment({ runtime: 'provided.al2023', architecture: 'x86_64' }, { cacheDir: scratch });
    await expect(
      bashRuntimeKind.verify!.run(target, broken, { workDir: path.join(scratch, 'smoke-broken'), cacheDir: scratch, log: () => undefined, env }),
    ).rejects.toThrow(/lamina-bash: the tutorial function answered .*Runtime\.ExitError[\s\S]*broken runtime/);
  });
});

describe('Bash runtime: the AWS tutorial function and beyond', () => {
  test('the tutorial function echoes the event: {"text":"Hello"} → Echoing request: \'{"text":"Hello"}\'', async () => {
    const { results, logs } = await run('function.handler', [{ text: 'Hello' }]);
    expect(results[0]).toMatchObject({ ok: true, payload: `Echoing request: '{"text":"Hello"}'` });
    // The tutorial handler echoes the event to stderr: the function's logs.
    expect(logs).toContain('{"text":"Hello"}\n');
  });

  test('several events through one warm runtime', async () => {
    const { results } = await run('more.pid', [{}, {}, {}]);
    const pids = results.map((result) => (result.ok ? result.payload : 'error'));
    expect(pids.every((pid) => /^\d+$/.test(pid))).toBe(true);
    expect(new Set(pids).size).toBe(1);
  });

  test('a handler returning non-zero is reported to /invocation/{id}/error', async () => {
    const error = failed((await run('more.fails')).results[0]);
    expect(error.errorType).toBe('Runtime.HandlerError');
    expect(error.errorMessage).toBe('fails exited with status 3: it went wrong');
  });

  test('a handler calling exit does not take the runtime down', async () => {
    const { results } = await run('more.exits', [{}, {}]);
    expect(results.map((result) => result.ok)).toEqual([true, true]);
  });

  test('no temporary file is left per event', async () => {
    const { results } = await run('more.tmpcount', [{}, {}, {}, {}, {}]);
    expect(results.map((result) => (result.ok ? result.payload : 'error'))).toEqual(['0', '0', '0', '0', '0']);
  });

  test('responses larger than a command-line argument pass through', async () => {
    const { results } = await run('more.big');
    expect(results[0].ok && results[0].payload.length).toBe(300000);
  });

  test('request id and trace id reach the handler', async () => {
    const { results } = await run('more.headers');
    const [requestId, trace] = (results[0].ok ? results[0].payload : '').split('|');
    expect(requestId).toBe(results[0].requestId);
    expect(trace).toMatch(/^Root=1-/);
  });

  test('missing function and missing file fail init with Runtime.HandlerNotFound / Runtime.ImportModuleError', async () => {
    const missingFunction = failed((await run('function.nothere')).results[0]);
    expect(missingFunction.errorType).toBe('Runtime.HandlerNotFound');
    expect(missingFunction.errorMessage).toContain("no function 'nothere'");
    const missingFile = failed((await run('nofile.handler')).results[0]);
    expect(missingFile.errorType).toBe('Runtime.ImportModuleError');
    expect(missingFile.errorMessage).toContain('nofile.sh does not exist');
  });
});

describe('Bash bootstrap against the Runtime API directly', () => {
  async function runBootstrap(address: string, handler: string, taskRoot: string) {
    const layer = await bashLayer(await fs.mkdtemp(path.join(scratch, 'layer-')));
    const child = spawn(path.join(layer, 'bootstrap'), [], {
      env: { PATH: process.env.PATH ?? '', AWS_LAMBDA_RUNTIME_API: address, _HANDLER: handler, LAMBDA_TASK_ROOT: taskRoot },
      stdio: 'ignore',
    });
    return { child, exited: new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))) };
  }

  test('init failures go to /runtime/init/error and the runtime exits', async () => {
    for (const [handler, errorType] of [
      ['function.nothere', 'Runtime.HandlerNotFound'],
      ['nofile.handler', 'Runtime.ImportModuleError'],
      ['nodot', 'Runtime.MalformedHandlerName'],
    ]) {
      const initErrors: FunctionError[] = [];
      const server = new RuntimeApiServer({ onInitError: (error) => initErrors.push(error) });
      try {
        const { exited } = await runBootstrap(await server.start(), handler, code);
        expect(await exited).toBe(1);
        expect(initErrors).toEqual([{ errorType, errorMessage: expect.any(String) }]);
      } finally {
        await server.close();
      }
    }
  });

  test('headers are matched case-insensitively with CR line ends and padding', async () => {
    const posts: { url: string; body: string }[] = [];
    let served = false;
    const server = http.createServer((request, response) => {
      if (request.method === 'GET') {
        if (served) return; // Leave the second `next` hanging, as Lambda would between events.
        served = true;
        const body = '{"text":"raw"}';
        // Raw header array: names sent exactly as written here, in lower and upper case.
        response.writeHead(200, [
          'lambda-runtime-aws-request-id', '  8476a536-e9f4-11e8-9739-2dfe598c3fcd  ',
          'LAMBDA-RUNTIME-TRACE-ID', 'Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1',
          'Lambda-Runtime-Deadline-Ms', String(Date.now() + 3000),
          'content-length', String(Buffer.byteLength(body)),
        ]);
        response.end(body);
        return;
      }
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        posts.push({ url: request.url ?? '', body: Buffer.concat(chunks).toString() });
        response.writeHead(202).end('{"status":"OK"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { child, exited } = await runBootstrap(`127.0.0.1:${(server.address() as AddressInfo).port}`, 'function.handler', code);
    try {
      for (let i = 0; i < 100 && posts.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(posts).toEqual([
        { url: '/2018-06-01/runtime/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response', body: `Echoing request: '{"text":"raw"}'` },
      ]);
    } finally {
      child.kill('SIGKILL');
      await exited;
      server.closeAllConnections();
      server.close();
    }
  });
});
