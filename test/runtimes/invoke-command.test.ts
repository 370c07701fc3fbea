import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeDeterministicZip } from '../../functions/archive/deterministic-zip';
import { LambdaClient, PublishLayerVersionCommand } from '@aws-sdk/client-lambda';
import { TUTORIAL_FUNCTION } from '../../functions/layers/bash-runtime/kind';
import { startLambdaEmulator } from '../../local/lambda-emulator';
import { invokeFunction, parseHandler } from '../../functions/runtime-api/invoke';
import { bashLayer, hostNodeLayer, writeFiles } from './support/fixtures';
import { writeZip } from '../support/zip-writer';

const CLI = path.join(__dirname, 'support', 'lamina-cli.cjs');

let scratch: string;
let bashZip: string;
let nodeLayer: string;
let code: string;

beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'lamina-invoke-cli-'));
  bashZip = (await writeDeterministicZip(await bashLayer(path.join(scratch, 'bash')), path.join(scratch, 'lamina-bash.zip'))).path;
  nodeLayer = await hostNodeLayer(path.join(scratch, 'node'));
  code = await writeFiles(path.join(scratch, 'code'), {
    'function.sh': TUTORIAL_FUNCTION,
    'index.js': `
exports.handler = async (event) => { console.log('handling', JSON.stringify(event)); return { seen: event }; };
exports.fails = async () => { throw new Error('function failed'); };
exports.sleeps = async () => new Promise((resolve) => setTimeout(resolve, 10000));
`,
  });
});

afterAll(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});

function lamina(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: path.join(__dirname, '..', '..'),
      env: { ...process.env, AWS_ENDPOINT_URL: '', AWS_ENDPOINT_URL_LAMBDA: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('lamina invoke', () => {
  test('the Bash tutorial function: response on stdout, the function logs on stderr, exit 0', async () => {
    const result = await lamina(['invoke', '--layer', bashZip, '--code', code, '--handler', 'function.handler', '--event', '{"text":"Hello"}']);
    expect(result.stdout).toBe(`Echoing request: '{"text":"Hello"}'\n`);
    expect(result.stderr).toContain('{"text":"Hello"}\n');
    expect(result.stderr).toMatch(/START RequestId: [0-9a-f-]{36} Version: \$LATEST/);
    expect(result.code).toBe(0);
  });

  test('--events runs each event through one warm runtime, one response per line', async () => {
    const events = path.join(scratch, 'events.json');
    await fs.writeFile(events, JSON.stringify([{ n: 1 }, { n: 2 }, { n: 3 }]));
    const result = await lamina(['invoke', '--layer', nodeLayer, '--code', code, '--handler', 'index.handler', '--events', events]);
    expect(result.stdout.trim().split('\n').map((line) => JSON.parse(line))).toEqual([{ seen: { n: 1 } }, { seen: { n: 2 } }, { seen: { n: 3 } }]);
    expect(result.stderr).toMatch(/INFO\thandling {"n":3}/);
    expect(result.code).toBe(0);
  });

  test('--event may name a JSON file', async () => {
    const event = path.join(scratch, 'event.json');
    await fs.writeFile(event, '{"from":"file"}');
    const result = await lamina(['invoke', '--layer', nodeLayer, '--code', code, '--handler', 'index.handler', '--event', event]);
    expect(JSON.parse(result.stdout)).toEqual({ seen: { from: 'file' } });
  });

  test('a function error prints the error object and exits 1', async () => {
    const result = await lamina(['invoke', '--layer', nodeLayer, '--code', code, '--handler', 'index.fails']);
    expect(JSON.parse(result.stdout)).toMatchObject({ errorType: 'Error', errorMessage: 'function failed' });
    expect(result.code).toBe(1);
  });

  test('--timeout kills the function and reports Task timed out', async () => {
    const result = await lamina(['invoke', '--layer', nodeLayer, '--code', code, '--handler', 'index.sleeps', '--timeout', '1']);
    expect(JSON.parse(result.stdout)).toMatchObject({ errorType: 'Sandbox.Timedout', errorMessage: expect.stringMatching(/Task timed out after 1\.00 seconds$/) });
    expect(result.code).toBe(1);
  });

  test('bad input → exit 2 with a clear message, before anything runs', async () => {
    const duplicateZip = path.join(scratch, 'two-bootstraps.zip');
    await writeZip(duplicateZip, [
      { name: 'bootstrap', data: '#!/bin/sh\necho first\n', mode: 0o100755 },
      { name: 'bootstrap', data: '#!/bin/sh\necho second\n', mode: 0o100755 },
    ]);
    const cases: [string[], RegExp][] = [
      [['--handler', 'nodot'], /handler "nodot" does not parse/],
      [['--handler', 'index. handler'], /does not parse/],
      [['--handler', '../up.handler'], /does not parse/],
      [['--handler', 'index.handler', '--event', '{not json'], /--event is neither JSON .* nor an existing file/],
      [['--handler', 'index.handler', '--memory', 'lots'], /--memory "lots" is not a positive number/],
      [
        ['--handler', 'index.handler', '--layer', 'arn:aws:lambda:us-east-1:000000000000:layer:lamina-bash:1', '--state', 'test/no-such-state'],
        /no-such-state holds no local layers .*run `lamina run` first, or pass the layer's zip/,
      ],
      [['--handler', 'index.handler', '--layer', 'no-such.zip'], /--layer no-such\.zip is neither an existing zip or folder nor a layer ARN/],
      [['--handler', 'index.handler', '--event', '{}', '--events', 'x.json'], /give --event or --events, not both/],
      [['--layer', nodeLayer], /--handler <file.function> is required/],
      [['--handler', 'function.handler', '--layer', duplicateZip], /two-bootstraps\.zip has two entries for "bootstrap"; a zip whose entries mean two things is refused/],
    ];
    const results = await Promise.all(cases.map(([args]) => lamina(['invoke', '--code', code, ...args])));
    results.forEach((result, index) => {
      expect({ args: cases[index][0], stderr: result.stderr }).toEqual({ args: cases[index][0], stderr: expect.stringMatching(cases[index][1]) });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
    });
  });

  test('a local layer ARN is fetched from the local Lambda emulator named by AWS_ENDPOINT_URL_LAMBDA', async () => {
    const emulator = await startLambdaEmulator({ dataDir: path.join(scratch, 'emulator') });
    try {
      const client = new LambdaClient({ region: 'eu-central-1', endpoint: emulator.url, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
      const published = await client.send(
        new PublishLayerVersionCommand({ LayerName: 'lamina-bash', Content: { ZipFile: await fs.readFile(bashZip) }, CompatibleRuntimes: ['provided.al2023'] }),
      );
      client.destroy();
      const result = await lamina(
        ['invoke', '--layer', published.LayerVersionArn!, '--code', code, '--handler', 'function.handler', '--event', '{"text":"ARN"}'],
        { AWS_ENDPOINT_URL_LAMBDA: emulator.url, AWS_ACCESS_KEY_ID: '', AWS_PROFILE: '' },
      );
      expect(result.stdout).toBe(`Echoing request: '{"text":"ARN"}'\n`);
      expect(result.code).toBe(0);
    } finally {
      await emulator.close();
    }
  });

  test('an event file that is not JSON → exit 2', async () => {
    const event = path.join(scratch, 'bad-event.json');
    await fs.writeFile(event, 'text: not json');
    const result = await lamina(['invoke', '--layer', nodeLayer, '--code', code, '--handler', 'index.handler', '--event', event]);
    expect(result.stderr).toMatch(/--event file .*bad-event\.json is not JSON/);
    expect(result.code).toBe(2);
  });
});

describe('invokeFunction: layers and code as Lambda lays them out', () => {
  test('a later layer overwrites an earlier one; a bootstrap in the code wins over the layers', async () => {
    const first = await writeFiles(path.join(scratch, 'first'), { 'bin/tool': '#!/bin/sh\necho first\n', 'lib/keep.txt': 'kept' });
    const second = await writeFiles(path.join(scratch, 'second'), { 'bin/tool': '#!/bin/sh\necho second\n' });
    await fs.chmod(path.join(first, 'bin/tool'), 0o755);
    await fs.chmod(path.join(second, 'bin/tool'), 0o755);
    const handlers = await writeFiles(path.join(scratch, 'layered'), {
      'probe.sh': 'run () { printf "%s %s" "$(tool)" "$(cat "${LD_LIBRARY_PATH##*:}/keep.txt")"; }\n',
    });
    const { results } = await invokeFunction({ layers: [await bashLayer(path.join(scratch, 'b2')), first, second], code: handlers, handler: 'probe.run', events: [{}] });
    expect(results[0]).toMatchObject({ ok: true, payload: 'second kept' });

    const own = await writeFiles(path.join(scratch, 'own-bootstrap'), {
      bootstrap: [
        '#!/bin/sh',
        'api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"',
        'id=$(curl -sS -D - -o /dev/null "$api/invocation/next" | tr -d "\\r" | sed -n "s/^[Ll]ambda-[Rr]untime-[Aa]ws-[Rr]equest-[Ii]d: //p")',
        'curl -sS -o /dev/null -X POST "$api/invocation/$id/response" -d "\\"own bootstrap\\""',
        'sleep 5',
      ].join('\n'),
    });
    const mine = await invokeFunction({ layers: [nodeLayer], code: own, handler: 'x.y', events: [{}] });
    expect(mine.results[0]).toMatchObject({ ok: true, response: 'own bootstrap' });
  });

  test('no bootstrap anywhere is a clear error', async () => {
    await expect(invokeFunction({ layers: [], code, handler: 'index.handler', events: [{}] })).rejects.toThrow(/no bootstrap/);
  });

  test('handler strings', () => {
    expect(parseHandler('function.handler')).toEqual({ file: 'function', functionName: 'handler' });
    expect(parseHandler('src/app.lambda.handler')).toEqual({ file: 'src/app.lambda', functionName: 'handler' });
    for (const bad of ['', 'handler', '.handler', 'file.', 'a b.c', '/abs/file.handler', 'x/../../y.handler', 'file.1abc']) {
      expect(() => parseHandler(bad)).toThrow(/does not parse/);
    }
  });
});
