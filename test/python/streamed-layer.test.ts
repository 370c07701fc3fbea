import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { extractArchived } from '../../functions/archive/archived-entry';
import { zipBuiltLayer } from '../../functions/archive/deterministic-zip';
import { extractZip, listZip } from '../../functions/archive/extract-zip';
import { BuildError, type LayerKind } from '../../functions/layers/kind';
import { createPythonKind, pythonKind, type PythonEntry, type PythonManifest } from '../../functions/layers/python/kind';
import { cachedWheelPath } from '../../functions/layers/python/index-provider';
import type { FixtureDist } from './support/fixture-index';
import { entry, onlyTarget, useFixtureIndex } from './support/harness';
import { realisticSet } from './support/realistic';
import { elfFixture } from '../support/elf-fixture';
import { expectReadersAccept } from '../support/zip-readers';
import { UNIVERSE } from './support/universe';

const LINKED: FixtureDist = { name: 'linked', version: '1.0', wheels: ['py3-none-any'], entries: [{ name: 'linked/real.py', data: 'X = 1\n' }, { name: 'linked/alias.py', data: 'real.py', mode: 0o120777 }] };
const NATIVE: FixtureDist[] = [
  { name: 'native-fits', version: '1.0', wheels: ['cp311-cp311-manylinux_2_17_x86_64'], entries: [{ name: 'native_fits/_ext.cpython-311-x86_64-linux-gnu.so', data: elfFixture({ machine: 'x86_64', glibc: ['2.17'] }), mode: 0o100755 }] },
  { name: 'native-wrong', version: '1.0', wheels: ['cp311-cp311-manylinux_2_17_x86_64'], entries: [{ name: 'native_wrong/_ext.so', data: elfFixture({ machine: 'arm64', glibc: ['2.17'] }) }, { name: 'native_wrong/_new.so', data: elfFixture({ machine: 'x86_64', glibc: ['2.17', '2.28'] }) }] },
];
// Scaled down from bench:python's sets (same shape: thousands of small sources, a few .so files).
const REALISTIC = realisticSet('real', 8, 1500);

/** Every fixture set the streamed layout must lay out exactly as extraction does. */
const SETS: Array<[string, Partial<PythonEntry> & { requirements: string[] }]> = [
  ['extras, and .data/purelib and platlib (scripts left out)', { requirements: ['requests[socks]', 'hasdata'] }],
  ['compiled wheels for another architecture', { requirements: ['cryptography', 'numpy'], runtimes: ['python3.12'], architectures: ['arm64'] }],
  ['wheels that write the same file (the last one wins)', { requirements: ['overlap-b', 'overlap-a'] }],
  ['strip', { requirements: ['testsy', 'requests'], strip: true }],
  ['excludeRuntimeProvided', { requirements: ['requests'], excludeRuntimeProvided: true }],
  ['a wheel with a link (extracted, as the streamed layout cannot copy a link)', { requirements: ['linked', 'idna'] }],
  ['a native extension that fits the target', { requirements: ['native-fits'] }],
  ['realistic wheels: thousands of small files and .so files', { requirements: ['real-frame'] }],
  ['realistic wheels, stripped', { requirements: ['real-frame'], strip: true }],
];

describe('python layers streamed from their wheels into the zip', () => {
  const harness = useFixtureIndex([...UNIVERSE, LINKED, ...NATIVE, ...REALISTIC]);
  const treeKind = createPythonKind({ layout: 'tree' });

  async function buildAndZip(fields: Partial<PythonEntry> & { requirements: string[] }, name: string, kind: LayerKind<PythonEntry>) {
    const ctx = harness.context(name);
    const target = await kind.resolve(onlyTarget(kind.expand(entry({ index: harness.server.url, ...fields }), { prefix: 'lamina' })), ctx);
    const built = await kind.build(target, ctx);
    const zip = await zipBuiltLayer(built, path.join(ctx.workDir, 'layer.zip'));
    return { ctx, built, zip };
  }

  /** Files below a folder, recursively (relative paths). */
  async function filesBelow(dir: string): Promise<string[]> {
    if (!existsSync(dir)) return [];
    const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => !e.isDirectory()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
  }

  test.each(SETS)('%s: the same bytes as the zip built through the extracted tree', async (name, fields) => {
    const slug = name.replace(/\W+/g, '-');
    const streamed = await buildAndZip(fields, `streamed-${slug}`, pythonKind);
    const tree = await buildAndZip(fields, `tree-${slug}`, treeKind);
    expect(tree.built.archived).toBeUndefined();
    expect(streamed.zip.sha256).toBe(tree.zip.sha256);
    expect(streamed.zip.entries).toBe(tree.zip.entries);
    expect(streamed.zip.unzippedSize).toBe(tree.zip.unzippedSize);
    expect(streamed.built.manifest).toEqual(tree.built.manifest);
    expect(streamed.built.description).toBe(tree.built.description);
    expect(streamed.built.licenseInfo).toBe(tree.built.licenseInfo);
    if (name.includes('link')) {
      expect(streamed.built.archived).toBeUndefined();
    } else {
      expect((streamed.built.manifest as PythonManifest).unzippedBytes).toBe(streamed.zip.unzippedSize);
      // Nothing was extracted: the layer folder is empty, every file came from a wheel.
      expect(streamed.built.archived!.length).toBeGreaterThan(0);
      expect(await filesBelow(streamed.built.rootDir)).toEqual([]);
    }
  });

  test('the streamed zip passes every reader: python zipfile, unzip -t, zipinfo, yauzl (crc of every entry)', async () => {
    const { ctx, built, zip } = await buildAndZip({ requirements: ['real-frame', 'hasdata', 'overlap-b', 'overlap-a'] }, 'readers', pythonKind);
    expect(built.archived!.length).toBeGreaterThan(1500);
    const opt = path.join(ctx.workDir, 'opt');
    const listing = await expectReadersAccept(zip.path, opt);
    if (listing) {
      expect(listing).toMatch(/-rwxr-xr-x .* python\/real_frame\/_libs\/ext_0\.cpython-311-x86_64-linux-gnu\.so/);
      expect(listing).toMatch(/-rw-r--r-- .* python\/hasdata_pure\.py/);
    }
    expect(await fs.readFile(path.join(opt, 'python', 'common_file.py'), 'utf8')).toBe('WHO = "b"\n');
  });

  test('what a later step needs on disk comes out of the wheels on request (e.g. .py sources for bytecode)', async () => {
    const { ctx, built } = await buildAndZip({ requirements: ['real-frame'] }, 'extract', pythonKind);
    const dir = path.join(ctx.workDir, 'sources');
    const written = extractArchived(built.archived!, dir, (e) => e.name.endsWith('.py'));
    expect(written.length).toBe(built.archived!.filter((e) => e.name.endsWith('.py')).length);
    expect((await filesBelow(dir)).every((f) => f.endsWith('.py'))).toBe(true);
    const sample = built.archived!.find((e) => e.name.endsWith('/mod_7.py'))!;
    expect((await fs.readFile(path.join(dir, sample.name))).length).toBe(sample.uncompressedSize);
  });

  test('a tampered wheel fails the build before any of its bytes are used; the cache keeps nothing of it', async () => {
    const wheel = Object.keys(harness.index.files).find((f) => f.startsWith('real_num-'))!;
    harness.server.options = { wrongHashes: { [wheel]: 'cd'.repeat(32) } };
    try {
      const ctx = harness.context('tampered');
      const target = await pythonKind.resolve(onlyTarget(pythonKind.expand(entry({ index: harness.server.url, requirements: ['real-frame'] }), { prefix: 'lamina' })), ctx);
      const error = await pythonKind.build(target, ctx).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(BuildError);
      expect((error as Error).message).toMatch(/real-num 1\.0: .* has sha256 [0-9a-f]{64} but the index publishes cdcd.*was not installed/);
      const file = { filename: wheel, url: '', hashes: { sha256: 'cd'.repeat(32) }, yanked: false as const, coreMetadata: false as const };
      expect(existsSync(cachedWheelPath(ctx.cacheDir, file))).toBe(false);
      expect(await filesBelow(path.join(ctx.cacheDir, 'wheels', 'cd'.repeat(32)))).toEqual([]);
    } finally {
      harness.server.options = {};
    }
  });

  test('path safety: an entry escaping the folder fails the build, and nothing is written anywhere', async () => {
    const ctx = harness.context('evil');
    const target = await pythonKind.resolve(onlyTarget(pythonKind.expand(entry({ index: harness.server.url, requirements: ['evil'] }), { prefix: 'lamina' })), ctx);
    const message = await pythonKind.build(target, ctx).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(message).toMatch(/evil 1\.0: .*\.\.\/\.\.\/escaped\.py.* would be written outside.*pin another version of evil/);
    expect(existsSync(path.join(ctx.workDir, 'escaped.py'))).toBe(false);
    expect(await filesBelow(path.join(ctx.workDir, 'layer'))).toEqual([]);
  });

  test('native files are checked on the streamed path as on the tree: the same refusal, naming each file', async () => {
    const messages: string[] = [];
    for (const kind of [pythonKind, treeKind]) {
      const ctx = harness.context('native');
      const target = await kind.resolve(onlyTarget(kind.expand(entry({ index: harness.server.url, requirements: ['native-wrong'] }), { prefix: 'lamina' })), ctx);
      messages.push(await kind.build(target, ctx).then(() => '', (e: Error) => e.message));
    }
    expect(messages[0]).toMatch(/native code that cannot load on python3\.11 x86_64: native_wrong\/_ext\.so is built for arm64, not x86_64; native_wrong\/_new\.so needs glibc 2\.28, newer than the 2\.26/);
    expect(messages[1]).toBe(messages[0]);
  });

  test('the size limit holds on the streamed path: before anything is laid out, and after strip', async () => {
    const fields = { index: harness.server.url, requirements: ['real-frame'] };
    const small = createPythonKind({ maxUnzippedBytes: 2_000_000 });
    const ctx = harness.context('too-big');
    const target = await small.resolve(onlyTarget(small.expand(entry(fields), { prefix: 'lamina' })), ctx);
    await expect(small.build(target, ctx)).rejects.toThrow(/would be at least \d+ bytes .* over the limit of 2000000 bytes.*Largest: real-num 1\.0/);
    // With strip the total is only known once the stripped files are left out; the message names the biggest items.
    const stripped = createPythonKind({ maxUnzippedBytes: 2_000_000 });
    const sctx = harness.context('too-big-stripped');
    const starget = await stripped.resolve(onlyTarget(stripped.expand(entry({ ...fields, strip: true }), { prefix: 'lamina' })), sctx);
    await expect(stripped.build(starget, sctx)).rejects.toThrow(/would be \d+ bytes .* over the limit of 2000000 bytes.*Largest: real_frame \(/);
  });
});
