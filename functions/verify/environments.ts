import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { NotVerifiableError, type Architecture, type VerifyEnvironment, type VerifyTarget } from '../layers/kind';
import { onPath } from '../layers/bash-runtime/kind';
import { downloadVerified } from '../layers/node-runtime/download';
import { extractTar } from '../archive/extract-tar';
import { NODE_ARCH, resolveNodeRelease } from '../layers/node-runtime/releases';

const run = promisify(execFile);

/** Lambda's name for this machine's architecture, when Lambda has it. */
export function hostArchitecture(): Architecture | undefined {
  if (process.platform !== 'linux') return undefined;
  return process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'arm64' : undefined;
}

/** The Python version of a `python3.X` runtime, the Node.js major of a `nodejsN.x` one. */
export function runtimeFamily(runtime: string): { family: 'python'; version: string } | { family: 'node'; major: number } | { family: 'provided' } {
  const python = /^python(3\.\d+)$/.exec(runtime);
  if (python) return { family: 'python', version: python[1] };
  const node = /^nodejs(\d+)\.x$/.exec(runtime);
  if (node) return { family: 'node', major: Number(node[1]) };
  if (/^provided(\.al2023|\.al2)?$/.test(runtime)) return { family: 'provided' };
  throw new Error(`lamina cannot verify layers for runtime ${JSON.stringify(runtime)}: it knows python3.X, nodejsN.x and provided.*`);
}

/** Where Debian's libc6-arm64-cross and friends put the arm64 sysroot qemu-aarch64 loads libraries from. */
export const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';

/**
 * The prefix that runs a binary of `architecture` on this machine: nothing natively, qemu user-mode emulation for
 * arm64 on x86_64 (started explicitly: without binfmt the kernel cannot run an arm64 binary by itself).
 */
export function emulatorFor(architecture: Architecture): string[] {
  if (architecture === hostArchitecture()) return [];
  if (architecture === 'arm64' && onPath('qemu-aarch64') && existsSync(path.join(ARM64_SYSROOT, 'lib'))) {
    return ['qemu-aarch64', '-L', ARM64_SYSROOT];
  }
  throw new NotVerifiableError(
    `this machine (${process.platform} ${process.arch}) cannot run ${architecture} code: ` +
      (architecture === 'arm64'
        ? `install qemu-user and the arm64 sysroot (apt-get install qemu-user libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross)`
        : 'lamina emulates only arm64 on x86_64'),
  );
}

export interface HostOptions {
  /** Cache of Node.js binaries fetched for verification (kept between runs). */
  cacheDir: string;
  /** npm registry to fetch `node-linux-<arch>` from; the public registry when unset. */
  npmRegistryUrl?: string;
  log?: (message: string) => void;
}

/** A Node.js of the given major for the architecture, from the npm registry's node-linux-* packages, cached. */
async function fetchedNode(major: number, architecture: Architecture, options: HostOptions): Promise<{ node: string; version: string }> {
  const release = await resolveNodeRelease('npm', String(major), architecture, { npmRegistryUrl: options.npmRegistryUrl });
  const dir = path.join(options.cacheDir, 'verify-node', `${release.version}-${NODE_ARCH[architecture]}`);
  const node = path.join(dir, 'bin', 'node');
  if (!existsSync(node)) {
    const archive = await downloadVerified(release.url, release.integrity, path.join(options.cacheDir, 'node-runtime'), options.log);
    const partial = `${dir}.partial-${process.pid}-${Date.now()}`;
    await extractTar(archive, partial, { label: path.basename(release.url), strip: release.strip, keep: (name) => name === 'bin' || name === 'bin/node' });
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(partial, dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another verification fetched the same Node.js at the same moment: theirs is as good.
      await fs.rm(partial, { recursive: true, force: true });
      if (!existsSync(node)) throw error;
    });
  }
  return { node, version: release.version };
}

/**
 * `3.11.2 cpython` when `python<version>` on PATH runs and is that version; undefined otherwise (absent, or a
 * version manager's shim that refuses to run it).
 */
export async function localPython(version: string): Promise<string | undefined> {
  const program = `python${version}`;
  if (!onPath(program)) return undefined;
  try {
    const { stdout } = await run(program, ['-c', 'import platform, sys; print("%d.%d" % sys.version_info[:2], platform.python_version(), sys.implementation.name)'], { timeout: 30_000 });
    const [minor, full, implementation] = stdout.trim().split(' ');
    return minor === version && implementation === 'cpython' ? `${full} ${implementation}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * This machine as an environment of the target runtime × architecture, or NotVerifiableError saying what is
 * missing: Python needs a `python3.X` of exactly the target version on PATH (and is never emulated: no arm64 Python
 * exists here); Node.js targets use this process's node when it is the target major natively, else a Node.js
 * fetched from the npm registry (run under qemu for arm64); provided.* targets need only the emulator.
 */
export async function hostEnvironment(target: VerifyTarget, options: HostOptions): Promise<VerifyEnvironment> {
  const family = runtimeFamily(target.runtime);
  const base = { ...target, where: 'local' as const };
  if (family.family === 'python') {
    if (target.architecture !== hostArchitecture()) {
      throw new NotVerifiableError(`no ${target.architecture} Python ${family.version} on this machine (${process.platform} ${process.arch}); it is verified on AWS`);
    }
    const program = `python${family.version}`;
    const found = await localPython(family.version);
    if (!found) throw new NotVerifiableError(`no ${program} on PATH; install Python ${family.version} to verify ${target.runtime} layers locally`);
    return { ...base, emulator: [], python: [program], description: `${program} (${found}) ${target.architecture} on this machine` };
  }
  const emulator = emulatorFor(target.architecture);
  const how = emulator.length > 0 ? `${target.architecture} under qemu-aarch64` : `${target.architecture} on this machine`;
  if (family.family === 'node') {
    if (emulator.length === 0 && Number(process.versions.node.split('.')[0]) === family.major) {
      return { ...base, emulator, node: [process.execPath], description: `node v${process.versions.node} ${how}` };
    }
    const { node, version } = await fetchedNode(family.major, target.architecture, options);
    return { ...base, emulator, node: [...emulator, node], description: `node v${version} (npm node-linux-${NODE_ARCH[target.architecture]}) ${how}` };
  }
  return { ...base, emulator, description: `${target.runtime} stand-in: ${how}` };
}

/**
 * The verify function itself as the environment (on AWS): CDK made one function per runtime × architecture, so the
 * function's own runtime and architecture are the target's. A mismatch means a miswired state machine.
 */
export function nativeEnvironment(target: VerifyTarget): VerifyEnvironment {
  const arch = hostArchitecture();
  if (arch !== target.architecture) {
    throw new Error(`this verify function runs on ${process.arch}, but was asked to verify ${target.runtime} ${target.architecture}: the state machine picked the wrong function`);
  }
  const family = runtimeFamily(target.runtime);
  const major = Number(process.versions.node.split('.')[0]);
  if (family.family === 'node' && family.major !== major) {
    throw new Error(`this verify function runs Node.js ${major}, but was asked to verify ${target.runtime}: the state machine picked the wrong function`);
  }
  const execution = process.env.AWS_EXECUTION_ENV ?? `node v${process.versions.node}`;
  return {
    ...target,
    where: 'aws',
    emulator: [],
    node: family.family === 'node' ? [process.execPath] : undefined,
    description: `${execution} ${target.architecture} on Lambda`,
  };
}
