import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { packageLayer } from '../../functions/build/build';
import { extractZip, listZip } from '../../functions/archive/extract-zip';
import { onPath } from '../../functions/layers/bash-runtime/kind';
import { pythonKind } from '../../functions/layers/python/kind';
import { PYTHON_RUNTIMES } from '../../functions/layers/python/lambda-runtimes';
import { hostEnvironment, localPython } from '../../functions/verify/environments';
import { LayerVerificationFailed } from '../../functions/verify/verify';
import type { FixtureDist } from '../python/support/fixture-index';
import { entry, onlyTarget, useFixtureIndex } from '../python/support/harness';

const X86 = 'cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64';

/** An extension module that needs a shared library this machine does not have: _bz2 with libbz2 renamed. */
function brokenExtension(): Buffer | undefined {
  if (!onPath('python3.11')) return undefined;
  const file = execFileSync('python3.11', ['-c', 'import _bz2; print(_bz2.__file__)'], { encoding: 'utf8' }).trim();
  const bytes = Buffer.from(require('node:fs').readFileSync(file) as Buffer);
  const needle = Buffer.from('libbz2.so.1.0\0');
  const at = bytes.indexOf(needle);
  if (at < 0) return undefined;
  Buffer.from('libzz9.so.1.0\0').copy(bytes, at);
  return bytes;
}

const broken = brokenExtension();
const DISTS: FixtureDist[] = [
  {
    name: 'goodpkg',
    version: '1.0',
    wheels: ['py3-none-any'],
    entries: [
      { name: 'goodpkg/core.py', data: 'VALUE = 42\n' },
      { name: 'goodpkg/templates/page.py', data: 'def {{ name }}(:\n' },
      { name: 'goodmod.py', data: 'from goodpkg.core import VALUE\n' },
    ],
  },
  { name: 'badpkg', version: '1.0', wheels: ['py3-none-any'], entries: [{ name: 'badmod.py', data: 'raise RuntimeError("badpkg cannot start")\n' }] },
  ...(broken ? [{ name: 'nativepkg', version: '1.0', wheels: [X86], entries: [{ name: 'nativeext.cpython-311-x86_64-linux-gnu.so', data: broken }] }] : []),
];

const haveRuntime = onPath('python3.11') && process.platform === 'linux' && process.arch === 'x64';
const describeIf = haveRuntime ? describe : describe.skip;
if (!haveRuntime) console.warn('python verification tests skipped: they need python3.11 on an x86_64 Linux machine');

/** Which of the Pythons lamina targets this machine really runs (a version manager's shim may only pretend). */
let runnable: string[] = [];
beforeAll(async () => {
  runnable = (await Promise.all(PYTHON_RUNTIMES.map(async (r) => ((await localPython(r.pythonVersion)) ? (r.pythonVersion as string) : undefined)))).filter((v): v is string => !!v);
});

function magicOf(program: string): string {
  return execFileSync(program, ['-c', 'import importlib.util; print(importlib.util.MAGIC_NUMBER.hex())'], { encoding: 'utf8' }).trim();
}

describeIf('Python layers: bytecode and the import check', () => {
  const harness = useFixtureIndex(DISTS);
  const targetFor = (requirements: string[], runtime = 'python3.11', architecture: 'x86_64' | 'arm64' = 'x86_64') =>
    onlyTarget(pythonKind.expand(entry({ index: harness.server.url, requirements, runtimes: [runtime as never], architectures: [architecture] }), { prefix: 'lamina' }));

  async function build(name: string, requirements: string[], runtime?: string, architecture?: 'x86_64' | 'arm64', publishUnverified?: boolean) {
    const ctx = harness.context(name);
    const target = await pythonKind.resolve(targetFor(requirements, runtime, architecture), ctx);
    const zipFile = path.join(harness.dir, 'out', `${name}.zip`);
    const packaged = await packageLayer(target, {
      ...ctx,
      zipFile,
      verify: { environmentOf: (check) => hostEnvironment(check, { cacheDir: ctx.cacheDir }), publishUnverified },
    });
    return { ...packaged, zipFile, lines: ctx.lines };
  }

  test('a good layer passes on python3.11, with unchecked-hash bytecode for 3.11 compiled at /opt/python, byte-identical across builds', async () => {
    const first = await build('good-1', ['goodpkg']);
    const again = await build('good-2', ['goodpkg']);
    expect(first.verifications).toEqual([
      expect.objectContaining({ runtime: 'python3.11', architecture: 'x86_64', status: 'verified', where: 'local', how: expect.stringContaining('python3.11') }),
    ]);
    expect(first.verifications[0].summary).toMatch(/imported 2 top-level modules \(goodmod, goodpkg\)/);
    expect(await fs.readFile(again.zipFile)).toEqual(await fs.readFile(first.zipFile));
    expect(again.zip.sha256).toBe(first.zip.sha256);

    const names = (await listZip(first.zipFile)).map((e) => e.name);
    for (const source of ['python/goodmod.py', 'python/goodpkg/__init__.py', 'python/goodpkg/core.py']) {
      const dir = path.posix.dirname(source);
      expect(names).toContain(`${dir}/__pycache__/${path.posix.basename(source, '.py')}.cpython-311.pyc`);
    }
    // A template that is not Python stays source only; it does not fail the layer.
    expect(names.filter((n) => n.includes('templates/__pycache__'))).toEqual([]);

    const dir = path.join(harness.dir, 'unzipped-good');
    await extractZip(first.zipFile, dir);
    const pyc = await fs.readFile(path.join(dir, 'python/goodpkg/__pycache__/core.cpython-311.pyc'));
    expect(pyc.subarray(0, 4).toString('hex')).toBe(magicOf('python3.11'));
    // PEP 552 flags: bit 0 hash-based, bit 1 check_source clear (unchecked).
    expect(pyc.readUInt32LE(4)).toBe(0b01);
    expect(pyc.includes(Buffer.from('/opt/python/goodpkg/core.py'))).toBe(true);
    expect(pyc.includes(Buffer.from(harness.dir))).toBe(false);
  });

  test('Python loads the bytecode without reading the sources: sources rewritten and their timestamps moved, the layer still imports', async () => {
    const compiled = await build('no-sources', ['goodpkg']);
    const plain = path.join(harness.dir, 'plain.zip');
    await pythonKind
      .resolve(targetFor(['goodpkg']), harness.context('plain'))
      .then((target) => packageLayer(target, { ...harness.context('plain-build'), zipFile: plain }));
    const tryImport = async (zip: string, name: string) => {
      const dir = path.join(harness.dir, name);
      await extractZip(zip, dir);
      const later = new Date(Date.now() + 86_400_000);
      for (const file of ['python/goodmod.py', 'python/goodpkg/__init__.py', 'python/goodpkg/core.py']) {
        // Same size, other content: whoever reads it fails.
        const size = (await fs.stat(path.join(dir, file))).size;
        await fs.writeFile(path.join(dir, file), `1/0${' '.repeat(Math.max(0, size - 4))}\n`.slice(0, Math.max(size, 4)));
        await fs.utimes(path.join(dir, file), later, later);
      }
      return spawnSync('python3.11', ['-I', '-B', '-c', `import sys; sys.path.insert(0, ${JSON.stringify(path.join(dir, 'python'))}); import goodmod; print(goodmod.VALUE)`], { encoding: 'utf8' });
    };
    const withBytecode = await tryImport(compiled.zipFile, 'tampered-compiled');
    expect(withBytecode.stderr).toBe('');
    expect(withBytecode.stdout.trim()).toBe('42');
    // The same check on the layer without bytecode fails: the test can tell.
    const without = await tryImport(plain, 'tampered-plain');
    expect(without.status).not.toBe(0);
    expect(without.stderr).toMatch(/ZeroDivisionError/);
  });

  test('a module that raises at import fails verification, naming the module, its distribution, runtime, architecture and the traceback; no zip', async () => {
    const attempt = build('bad', ['goodpkg', 'badpkg']);
    await expect(attempt).rejects.toThrow(LayerVerificationFailed);
    await expect(attempt).rejects.toThrow(
      /lamina-py311-x86_64-fixture failed verification, nothing was published: python3\.11 x86_64: failed \(python3\.11.*\): module badmod \(distribution badpkg\): badmod: Traceback[\s\S]*RuntimeError: badpkg cannot start/,
    );
    expect(existsSync(path.join(harness.dir, 'out', 'bad.zip'))).toBe(false);
  });

  (broken ? test : test.skip)('a module that needs a missing shared library fails verification with the loader error', async () => {
    await expect(build('native', ['nativepkg'])).rejects.toThrow(/module nativeext \(distribution nativepkg\)[\s\S]*libzz9\.so\.1\.0: cannot open shared object file/);
  });

  test('an arm64 Python layer is recorded "not verified" here (no arm64 Python), and published only where allowed', async () => {
    const local = await build('arm64', ['goodpkg'], 'python3.11', 'arm64');
    expect(local.verifications).toEqual([expect.objectContaining({ status: 'not verified', reason: expect.stringMatching(/no arm64 Python 3\.11 on this machine/) })]);
    expect(local.lines.join('\n')).toMatch(/WARNING: lamina-py311-arm64-fixture is published NOT VERIFIED/);
    // No bytecode without the target Python: the zip is the built one.
    expect((await listZip(local.zipFile)).some((e) => e.name.endsWith('.pyc'))).toBe(false);
    await expect(build('arm64-refused', ['goodpkg'], 'python3.11', 'arm64', false)).rejects.toThrow(/could not be verified and settings\.publishUnverified does not allow/);
  });

  test('a second Python version gets its own bytecode (skips with a message when only 3.11 is installed)', async () => {
    const second = PYTHON_RUNTIMES.find((r) => r.pythonVersion !== '3.11' && runnable.includes(r.pythonVersion));
    if (!second) {
      console.warn('second-Python-version check skipped: no runnable python3.9, 3.10, 3.12, 3.13 or 3.14 on PATH (Debian 12 ships only 3.11)');
      return;
    }
    const other = await build('second', ['goodpkg'], second.runtime);
    expect(other.verifications[0]).toMatchObject({ status: 'verified', runtime: second.runtime });
    const names = (await listZip(other.zipFile)).map((e) => e.name);
    expect(names).toContain(`python/goodpkg/__pycache__/core.cpython-${second.pythonVersion.replace('.', '')}.pyc`);
    expect(names.some((n) => n.includes('cpython-311'))).toBe(false);
  });

  test('a runtime whose Python is not installed is recorded "not verified", with the reason', async () => {
    const missing = PYTHON_RUNTIMES.find((r) => !runnable.includes(r.pythonVersion));
    if (!missing) {
      console.warn('not-installed-Python check skipped: every Python lamina targets runs on this machine');
      return;
    }
    const result = await build('missing-python', ['goodpkg'], missing.runtime);
    expect(result.verifications[0]).toMatchObject({
      status: 'not verified',
      reason: `no python${missing.pythonVersion} on PATH; install Python ${missing.pythonVersion} to verify ${missing.runtime} layers locally`,
    });
  });
});
