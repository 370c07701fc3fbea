import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeDeterministicZip } from '../../functions/archive/deterministic-zip';
import { extractZip, listZip } from '../../functions/archive/extract-zip';
import type { RawZipEntry } from '../../functions/archive/raw-entry';
import { packageLayer } from '../../functions/build/build';
import { onPath } from '../../functions/layers/bash-runtime/kind';
import { pythonKind } from '../../functions/layers/python/kind';
import { VERIFY_SCRIPT } from '../../functions/layers/python/verify';
import { hostEnvironment } from '../../functions/verify/environments';
import { sealVerifiedZip } from '../../functions/verify/layer-under-verification';
import type { FixtureDist } from '../python/support/fixture-index';
import { entry, onlyTarget, useFixtureIndex } from '../python/support/harness';
import { realisticSet } from '../python/support/realistic';

const haveRuntime = onPath('python3.11') && process.platform === 'linux' && process.arch === 'x64';
const describeIf = haveRuntime ? describe : describe.skip;
if (!haveRuntime) console.warn('python bytecode tests skipped: they need python3.11 on an x86_64 Linux machine');

// Sources of every kind compile() meets: plain, a declared encoding, a syntax error, a NUL byte (ValueError on 3.11),
// and a wheel that ships stale pycs of its own (Verify's replaces one; the other's source does not compile). Plus a realistic set big enough for several workers.
const ODD: FixtureDist = {
  name: 'oddpkg',
  version: '1.0',
  wheels: ['py3-none-any'],
  entries: [
    { name: 'oddpkg/latin.py', data: Buffer.concat([Buffer.from('# -*- coding: latin-1 -*-\nNAME = "'), Buffer.from([0xe9]), Buffer.from('t\xe9"\n', 'latin1')]) },
    { name: 'oddpkg/templates/page.py', data: 'def {{ name }}(:\n' },
    { name: 'oddpkg/nul.py', data: Buffer.from('X = 1\0\n') },
    { name: 'oddpkg/warns.py', data: 'PATTERN = "\\d+"\n' },
    { name: 'oddpkg/__pycache__/latin.cpython-311.pyc', data: Buffer.from('not bytecode at all') },
    // Its source does not compile: this one stays, as it would with pip.
    { name: 'oddpkg/templates/__pycache__/page.cpython-311.pyc', data: Buffer.from('stale, and kept') },
    { name: 'oddpkg/data/table.csv', data: 'a,b\n1,2\n' },
  ],
};
const REAL = realisticSet('seal', 3, 300);

/**
 * The reference Verify must equal, written independently of it: the built zip unzipped, every source compiled in
 * place with py_compile (unchecked-hash, at /opt/python/...), and the tree zipped with the built zip's compressed
 * bytes where a file is unchanged: what sealing meant before Verify stopped unzipping layers.
 */
async function referenceZip(builtZip: string, dir: string, out: string): Promise<{ zip: Buffer; failed: string[] }> {
  const raws: RawZipEntry[] = [];
  await extractZip(builtZip, dir, { onFile: (raw) => raws.push(raw) });
  const script = [
    'import os, py_compile, importlib.util, json, sys',
    'root = sys.argv[1]; failed = []',
    'for base, dirs, files in os.walk(os.path.join(root, "python")):',
    '    dirs[:] = [d for d in dirs if d != "__pycache__"]',
    '    for name in files:',
    '        if not name.endswith(".py"): continue',
    '        source = os.path.join(base, name); rel = os.path.relpath(source, root)',
    '        try: py_compile.compile(source, cfile=importlib.util.cache_from_source(source), dfile="/opt/" + rel, doraise=True, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)',
    '        except py_compile.PyCompileError as e: failed.append([rel, str(e.msg).strip().splitlines()[-1]])',
    'print(json.dumps(sorted(failed)))',
  ].join('\n');
  const failed = JSON.parse(execFileSync('python3.11', ['-I', '-B', '-W', 'ignore', '-c', script, dir], { encoding: 'utf8' })) as string[];
  await writeDeterministicZip(dir, out, { rawEntries: raws });
  return { zip: await fs.readFile(out), failed };
}

describeIf('Python bytecode from the built zip (never unzipped to compile, sealed without re-zipping)', () => {
  const harness = useFixtureIndex([ODD, ...REAL]);
  let builtZip: string;
  let reference: { zip: Buffer; failed: string[] };
  const resolve = (name: string) =>
    pythonKind.resolve(onlyTarget(pythonKind.expand(entry({ index: harness.server.url, requirements: ['oddpkg', 'seal-frame'], runtimes: ['python3.11'], architectures: ['x86_64'] }), { prefix: 'lamina' })), harness.context(name));

  beforeAll(async () => {
    const ctx = harness.context('built');
    builtZip = path.join(harness.dir, 'built.zip');
    await packageLayer(await resolve('built-resolve'), { ...ctx, zipFile: builtZip });
    reference = await referenceZip(builtZip, path.join(harness.dir, 'reference-tree'), path.join(harness.dir, 'reference.zip'));
  }, 120_000);

  test('lamina build writes exactly the reference zip: py_compile\'s bytes for every source, the built entries as they were, the stale pyc replaced', async () => {
    const ctx = harness.context('lamina-build');
    const zipFile = path.join(harness.dir, 'lamina-build.zip');
    const packaged = await packageLayer(await resolve('lamina-build-resolve'), { ...ctx, zipFile, verify: { environmentOf: (check) => hostEnvironment(check, { cacheDir: ctx.cacheDir }) } });
    expect(packaged.verifications[0]).toMatchObject({ status: 'verified' });
    expect(packaged.verifications[0].summary).toMatch(/imported 6 top-level modules \(oddpkg, seal_dateutil, seal_frame, seal_num, seal_six, seal_tz\)/);
    const built = await fs.readFile(zipFile);
    expect(built.equals(reference.zip)).toBe(true);
    // The test can tell: the reference has bytecode for (nearly) every source, the built zip none.
    const names = (await listZip(zipFile)).map((e) => e.name);
    const sources = names.filter((n) => n.endsWith('.py'));
    expect(names.filter((n) => n.endsWith('.cpython-311.pyc')).length).toBeGreaterThanOrEqual(sources.length - 2);
    expect((await listZip(builtZip)).filter((e) => e.name.endsWith('.pyc') && !e.name.includes('/__pycache__/mod_')).map((e) => e.name)).toEqual([
      'python/oddpkg/__pycache__/latin.cpython-311.pyc',
      'python/oddpkg/templates/__pycache__/page.cpython-311.pyc',
    ]);
    expect(names).toContain('python/oddpkg/templates/__pycache__/page.cpython-311.pyc');
    expect(reference.failed.map(([file]) => file)).toEqual(['python/oddpkg/nul.py', 'python/oddpkg/templates/page.py']);
    expect(ctx.lines.join('\n')).toMatch(/2 file\(s\) do not compile on Python 3\.11 and stay source only: python\/oddpkg\/nul\.py, python\/oddpkg\/templates\/page\.py/);
  }, 120_000);

  test('the AWS path (verify_layer on the zip, several workers, a stored changes zip; Seal copies the built entries) gives the same bytes', async () => {
    const changes = path.join(harness.dir, 'changes.zip');
    const output = JSON.parse(execFileSync('python3.11', [VERIFY_SCRIPT, builtZip, '--changes', changes, '--workers', '3', '--python-version', '3.11'], { encoding: 'utf8', maxBuffer: 64 << 20 }));
    expect(output.outcome).toMatchObject({ status: 'verified' });
    expect(output.report.notCompiled).toEqual(reference.failed.map(([file, error]) => ({ file, error })));
    // Stored, in name order: the published bytes are Node's deflate of them, whichever zlib Python has.
    const entries = await listZip(changes);
    expect(entries.map((e) => e.name)).toEqual([...output.report.compiled].sort());
    expect(new Set(entries.map((e) => e.compressionMethod))).toEqual(new Set([0]));
    const sealed = await sealVerifiedZip(builtZip, [changes], path.join(harness.dir, 'sealed.zip'), 262_144_000, 'seal');
    expect((await fs.readFile(sealed.path)).equals(reference.zip)).toBe(true);
  }, 120_000);

  test('the bytecode does not depend on how the sources are shared among workers', async () => {
    const zips: Record<string, Buffer> = {};
    for (const workers of [1, 2, 5]) {
      const changes = path.join(harness.dir, `workers-${workers}.zip`);
      const output = JSON.parse(execFileSync('python3.11', [VERIFY_SCRIPT, builtZip, '--changes', changes, '--workers', String(workers), '--compile-only'], { encoding: 'utf8', maxBuffer: 64 << 20 }));
      expect(output.report.compiled.length).toBeGreaterThan(300);
      zips[workers] = await fs.readFile(changes);
    }
    expect(zips[2].equals(zips[1])).toBe(true);
    expect(zips[5].equals(zips[1])).toBe(true);
  }, 120_000);
});
