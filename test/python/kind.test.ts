import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { extractZip, listZip } from '../../functions/archive/extract-zip';
import { writeDeterministicZip, zipBuiltLayer } from '../../functions/archive/deterministic-zip';
import { BuildError, type KindContext } from '../../functions/layers/kind';
import { createPythonKind, pythonKind, type PythonInputs, type PythonManifest } from '../../functions/layers/python/kind';
import { PYPI_SIMPLE_URL } from '../../functions/layers/python/index-client';
import { entry, onlyTarget, useFixtureIndex } from './support/harness';
import { pipUnavailable } from './support/pip';

describe('python entry schema', () => {
  const valid = { name: 'requests', kind: 'python', requirements: ['requests[socks]>=2.31'], runtimes: ['python3.12', 'python3.9'], architectures: ['arm64'] };

  test('accepts a valid entry', () => {
    expect(pythonKind.entrySchema.parse(valid)).toEqual(valid);
  });

  test.each([
    [{ requirements: ['requests', 'numpy>=='] }, ['requirements', 1], /invalid requirement "numpy>=="/],
    [{ requirements: [] }, ['requirements'], /at least one requirement/],
    [{ runtimes: ['python3.8'] }, ['runtimes', 0], /python3\.9, python3\.10/],
    [{ architectures: ['x86_64', 'x86_64'] }, ['architectures'], /listed twice/],
    [{ index: 'ftp://mirror.example/simple' }, ['index'], /http\(s\):\/\/ or file:\/\//],
    [{ name: 'has space' }, ['name'], /an entry name is 1-64 letters, digits, - or _/],
    [{ strip: 'yes' }, ['strip'], /boolean/],
  ])('refuses %j with the field and a clear message', (change, fieldPath, message) => {
    const result = pythonKind.entrySchema.safeParse({ ...valid, ...change });
    expect(result.success).toBe(false);
    const issue = result.error!.issues.find((i) => JSON.stringify(i.path) === JSON.stringify(fieldPath));
    expect(issue?.message).toMatch(message);
  });

  test('refuses unknown fields (a typo must not pass silently)', () => {
    expect(pythonKind.entrySchema.safeParse({ ...valid, requirement: ['x'] }).success).toBe(false);
  });
});

describe('expand', () => {
  test('one target per runtime and architecture, readable names, index from entry, settings or PyPI', () => {
    const targets = pythonKind.expand(entry({ name: 'requests', requirements: ['requests'], runtimes: ['python3.9', 'python3.12'], architectures: ['x86_64', 'arm64'] }), { prefix: 'lamina' });
    expect(targets.map((t) => t.layerName)).toEqual(['lamina-py39-x86_64-requests', 'lamina-py39-arm64-requests', 'lamina-py312-x86_64-requests', 'lamina-py312-arm64-requests']);
    expect(targets[3]).toMatchObject({ runtimes: ['python3.12'], architectures: ['arm64'], kind: 'python', entry: 'requests' });
    expect(targets[0].spec).toMatchObject({ pythonVersion: '3.9', glibc: [2, 26], indexUrl: PYPI_SIMPLE_URL });
    expect(targets[3].spec).toMatchObject({ pythonVersion: '3.12', glibc: [2, 34], architecture: 'arm64' });
    const fromSettings = pythonKind.expand(entry({ requirements: ['x'] }), { prefix: 'p', pythonIndexUrl: 'https://mirror.example/simple/' });
    expect(fromSettings[0].spec.indexUrl).toBe('https://mirror.example/simple/');
    const fromEntry = pythonKind.expand(entry({ requirements: ['x'], index: 'file:///srv/simple/' }), { prefix: 'p', pythonIndexUrl: 'https://mirror.example/simple/' });
    expect(fromEntry[0].spec.indexUrl).toBe('file:///srv/simple/');
  });
});

describe('python layers from a local index', () => {
  const harness = useFixtureIndex();
  const targetFor = (fields: Parameters<typeof entry>[0], prefix = 'lamina') => onlyTarget(pythonKind.expand(entry({ index: harness.server.url, ...fields }), { prefix }));

  afterEach(() => {
    harness.server.options = {};
  });

  test('resolve pins the set (inputs) and names the top package; the same upstream gives the same inputs', async () => {
    const target = targetFor({ name: 'requests', requirements: ['requests[socks]'], runtimes: ['python3.12'], architectures: ['arm64'] });
    const resolved = await pythonKind.resolve(target, harness.context('resolve'));
    expect(resolved.packageVersion).toBe('requests 2.32.3');
    const inputs = resolved.inputs as PythonInputs;
    expect(inputs.distributions.map((d) => `${d.key}==${d.version}`)).toEqual([
      'certifi==2024.8.30',
      'charset-normalizer==3.3.2',
      'idna==3.8',
      'pysocks==1.7.1',
      'requests==2.32.3',
      'urllib3==2.2.3',
    ]);
    const charset = inputs.distributions.find((d) => d.key === 'charset-normalizer')!;
    expect(charset.wheel).toBe('charset_normalizer-3.3.2-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl');
    expect(charset.sha256).toBe(harness.index.files[charset.wheel].sha256);
    expect(charset.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\//);
    const again = await pythonKind.resolve(target, harness.context('resolve-again'));
    expect(again.inputs).toEqual(resolved.inputs);
    const pinned = await pythonKind.resolve(targetFor({ name: 'requests', requirements: ['requests[socks]==2.31.0'], runtimes: ['python3.12'], architectures: ['arm64'] }), harness.context('pinned'));
    expect(pinned.inputs).not.toEqual(resolved.inputs);
    expect(pinned.packageVersion).toBe('requests 2.31.0');
  });

  test('resolving downloads no wheel when the index has metadata files, and only the one without', async () => {
    const before = harness.server.requests.length;
    await pythonKind.resolve(targetFor({ requirements: ['requests', 'nometa'] }), harness.context('no-download'));
    const wheels = harness.server.requests.slice(before).filter((p) => p.endsWith('.whl'));
    expect(wheels).toEqual(['/files/nometa-0.3-py3-none-any.whl']);
  });

  test('markers and Requires-Python are judged for the target runtime, not for this machine', async () => {
    const py39 = await pythonKind.resolve(targetFor({ requirements: ['marked'], runtimes: ['python3.9'], architectures: ['arm64'] }), harness.context('py39'));
    expect((py39.inputs as PythonInputs).distributions.map((d) => d.key)).toEqual(['marked', 'tomli', 'typing-extensions', 'uvloop']);
    const arm = await pythonKind.resolve(targetFor({ requirements: ['machine-marked'], architectures: ['arm64'] }), harness.context('arm'));
    expect((arm.inputs as PythonInputs).distributions.map((d) => d.key)).toEqual(['fast-arm', 'machine-marked']);
    // pip would pick 1.0 here: it checks metadata Requires-Python against its own interpreter.
    const modern = await pythonKind.resolve(targetFor({ requirements: ['modern-only'], runtimes: ['python3.12'] }), harness.context('modern'));
    expect(modern.packageVersion).toBe('modern-only 2.0');
  });

  async function buildAndZip(fields: Parameters<typeof entry>[0], name: string, kind = pythonKind) {
    const ctx = harness.context(name);
    const target = await kind.resolve(targetFor(fields), ctx);
    const built = await kind.build(target, ctx);
    // As packageLayer does: the wheels' compressed bytes are copied (streamed) or reused where unchanged (tree).
    const zip = await zipBuiltLayer(built, path.join(ctx.workDir, 'layer.zip'));
    // The layer as it lands in /opt, whatever the layout.
    const opt = path.join(ctx.workDir, 'opt');
    await extractZip(zip.path, opt);
    return { ctx, target, built, zip, opt };
  }
  const treeKind = createPythonKind({ layout: 'tree' });

  const pythonMissing = pipUnavailable();
  (pythonMissing ? test.skip : test)('a built layer imports with python3 (python3.11 x86_64, pure-Python fixtures)', async () => {
    const { ctx, built, opt } = await buildAndZip({ name: 'requests', requirements: ['requests[socks]', 'hasdata'] }, 'imports');
    const site = path.join(opt, 'python');
    const modules = (await fs.readdir(site)).filter((n) => !n.includes('.')).concat(['hasdata_pure', 'hasdata_plat']);
    expect(modules).toEqual(expect.arrayContaining(['requests', 'urllib3', 'idna', 'certifi', 'charset_normalizer', 'pysocks', 'hasdata']));
    const script = [
      'import importlib, importlib.metadata, json, sys',
      `sys.path.insert(0, ${JSON.stringify(site)})`,
      `mods = ${JSON.stringify(modules)}`,
      'loaded = {m: importlib.import_module(m).__file__ for m in mods}',
      `assert all(f.startswith(${JSON.stringify(site)}) for f in loaded.values()), loaded`,
      'print(json.dumps({"requests": importlib.metadata.version("requests"), "urllib3": importlib.metadata.version("urllib3"), "n": len(loaded)}))',
    ].join('\n');
    const out = JSON.parse(execFileSync('python3', ['-I', '-S', '-c', script], { encoding: 'utf8' }));
    expect(out).toEqual({ requests: '2.32.3', urllib3: '2.2.3', n: modules.length });
    // Scripts from .data/scripts have no place in a layer; .dist-info stays.
    expect(existsSync(path.join(site, 'hasdata-tool'))).toBe(false);
    expect(existsSync(path.join(site, 'requests-2.32.3.dist-info', 'METADATA'))).toBe(true);
    expect(built.rootDir).toBe(path.join(ctx.workDir, 'layer'));
  });

  test('description, license, manifest and CycloneDX SBOM', async () => {
    const { built } = await buildAndZip({ name: 'requests', requirements: ['requests'], description: 'HTTP for humans' }, 'outputs');
    expect(built.description).toBe('HTTP for humans - requests 2.32.3 (+4 dependencies) for python3.11 x86_64');
    expect(built.packageVersion).toBe('requests 2.32.3');
    expect(built.licenseInfo).toBe('Apache-2.0');
    const manifest = built.manifest as PythonManifest;
    expect(manifest.distributions.map((d) => `${d.name} ${d.version} ${d.license}`)).toEqual([
      'certifi 2024.8.30 MPL-2.0',
      'charset-normalizer 3.3.2 MIT',
      'idna 3.8 BSD-3-Clause',
      'requests 2.32.3 Apache-2.0',
      'urllib3 2.2.3 MIT',
    ]);
    expect(manifest.distributions[1].wheel).toBe('charset_normalizer-3.3.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl');
    expect(manifest.distributions[1].sha256).toBe(harness.index.files[manifest.distributions[1].wheel].sha256);
    const sbom = JSON.parse(built.attachments!['sbom.cdx.json']);
    expect(sbom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.5', version: 1 });
    expect(sbom.metadata.component.name).toBe('lamina-py311-x86_64-requests');
    const requests = sbom.components.find((c: { name: string }) => c.name === 'requests');
    expect(requests).toMatchObject({ purl: 'pkg:pypi/requests@2.32.3', licenses: [{ license: { id: 'Apache-2.0' } }], hashes: [{ alg: 'SHA-256', content: harness.index.files['requests-2.32.3-py3-none-any.whl'].sha256 }] });
    expect(sbom.dependencies.find((d: { ref: string }) => d.ref === 'pkg:pypi/requests@2.32.3').dependsOn).toEqual([
      'pkg:pypi/certifi@2024.8.30',
      'pkg:pypi/charset-normalizer@3.3.2',
      'pkg:pypi/idna@3.8',
      'pkg:pypi/urllib3@2.2.3',
    ]);
  });

  test('a file:// index gives the same layer as the HTTP one', async () => {
    const folder = pathToFileURL(path.join(harness.index.dir, 'simple')).toString();
    const overHttp = await buildAndZip({ requirements: ['requests', 'nometa'] }, 'http');
    const overFile = await buildAndZip({ requirements: ['requests', 'nometa'], index: folder }, 'file');
    expect((overFile.target.inputs as PythonInputs).distributions.every((d) => d.url.startsWith('file:'))).toBe(true);
    expect(overFile.zip.sha256).toBe(overHttp.zip.sha256);
  });

  test.each([
    ['streamed', pythonKind],
    ['tree', treeKind],
  ])('wheels that write the same file are installed in order, whatever the download timing (%s)', async (layout, kind) => {
    const { opt } = await buildAndZip({ requirements: ['overlap-b', 'overlap-a'] }, `overlap-${layout}`, kind);
    expect(await fs.readFile(path.join(opt, 'python', 'common_file.py'), 'utf8')).toBe('WHO = "b"\n');
    expect(existsSync(path.join(opt, 'python', 'overlap_a', '__init__.py'))).toBe(true);
  });

  test('the zip reuses the wheels\' compressed bytes for unchanged files and extracts to the installed tree', async () => {
    const { ctx, built, zip } = await buildAndZip({ requirements: ['overlap-b', 'overlap-a', 'testsy'], strip: true }, 'raw-reuse', treeKind);
    const raw = built.rawEntries ?? [];
    expect(raw.length).toBeGreaterThan(0);
    expect(raw.every((r) => r.name.startsWith('python/') && path.isAbsolute(r.source) && r.source.endsWith('.whl'))).toBe(true);
    // The shared file is recorded from the wheel that won (the last one installed); stripped files are absent.
    const common = raw.filter((r) => r.name === 'python/common_file.py');
    expect(common).toHaveLength(1);
    expect(path.basename(common[0].source)).toMatch(/^overlap_b-/);
    expect(existsSync(path.join(built.rootDir, 'python', 'testsy', 'tests'))).toBe(false);
    const opt = path.join(ctx.workDir, 'opt-again');
    const files = await extractZip(zip.path, opt);
    const differing: string[] = [];
    for (const file of files) {
      if (!(await fs.readFile(path.join(opt, file))).equals(await fs.readFile(path.join(built.rootDir, file)))) differing.push(file);
    }
    expect(differing).toEqual([]);
    expect(files.length).toBeGreaterThan(5);
    expect(files.filter((f) => !f.endsWith('/')).sort()).toEqual(expect.arrayContaining(raw.filter((r) => existsSync(path.join(built.rootDir, r.name))).map((r) => r.name)));
    // Reusing changes how entries are compressed, never what they hold.
    const own = await writeDeterministicZip(built.rootDir, path.join(ctx.workDir, 'own.zip'));
    expect(own.unzippedSize).toBe(zip.unzippedSize);
    expect(own.entries).toBe(zip.entries);
    const inLayer = new Map((await listZip(zip.path)).map((e) => [e.name, e]));
    const inOwn = new Map((await listZip(own.path)).map((e) => [e.name, e]));
    const present = raw.filter((r) => existsSync(path.join(built.rootDir, r.name)));
    expect(present.filter((r) => inLayer.get(r.name)?.compressedSize !== r.compressedSize)).toEqual([]);
    // The incompressible payload is deflated in the wheel; lamina alone would have stored it.
    const payload = present.find((r) => r.name.includes('/data/payload-'))!;
    expect(inLayer.get(payload.name)?.compressionMethod).toBe(8);
    expect(inOwn.get(payload.name)?.compressionMethod).toBe(0);
  });

  test('the same inputs give the same zip bytes', async () => {
    const first = await buildAndZip({ requirements: ['requests', 'cryptography'] }, 'det-1');
    const second = await buildAndZip({ requirements: ['requests', 'cryptography'] }, 'det-2');
    expect(second.zip.sha256).toBe(first.zip.sha256);
    expect(second.built.attachments).toEqual(first.built.attachments);
  });

  test('strip drops __pycache__ and test folders; excludeRuntimeProvided leaves out what Lambda ships unless asked for', async () => {
    const plain = await buildAndZip({ requirements: ['testsy', 'requests'] }, 'plain');
    const site = path.join(plain.opt, 'python');
    expect(existsSync(path.join(site, 'testsy', 'tests', 'test_basic.py'))).toBe(true);
    expect(existsSync(path.join(site, 'testsy', '__pycache__'))).toBe(true);
    const stripped = await buildAndZip({ requirements: ['testsy', 'requests'], strip: true, excludeRuntimeProvided: true }, 'stripped');
    const site2 = path.join(stripped.opt, 'python');
    expect(existsSync(path.join(site2, 'testsy', '__init__.py'))).toBe(true);
    expect(existsSync(path.join(site2, 'testsy', 'tests'))).toBe(false);
    expect(existsSync(path.join(site2, 'testsy', '__pycache__'))).toBe(false);
    expect(existsSync(path.join(site2, 'urllib3'))).toBe(false);
    const manifest = stripped.built.manifest as PythonManifest;
    expect(manifest.excluded).toEqual([{ name: 'urllib3', version: '2.2.3' }]);
    expect(stripped.zip.unzippedSize).toBeLessThan(plain.zip.unzippedSize);
    const direct = await buildAndZip({ requirements: ['urllib3'], excludeRuntimeProvided: true }, 'direct');
    expect(existsSync(path.join(direct.opt, 'python', 'urllib3'))).toBe(true);
  });

  describe('bad input fails with the package, the target and what to do', () => {
    const failure = async (promise: Promise<unknown>) => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(BuildError);
      return (error as Error).message;
    };
    const resolveFails = (fields: Parameters<typeof entry>[0]) => failure(pythonKind.resolve(targetFor(fields), harness.context('bad')));

    test('unknown package', async () => {
      const message = await resolveFails({ requirements: ['requestz'] });
      expect(message).toContain('python layer lamina-py311-x86_64-fixture (python3.11 x86_64)');
      expect(message).toContain('"requestz" was not found on the index');
      expect(message).toContain(harness.server.url);
      expect(message).toMatch(/check the name/);
    });

    test('unknown version', async () => {
      const message = await resolveFails({ requirements: ['requests==9.9.9'] });
      expect(message).toContain('(python3.11 x86_64)');
      expect(message).toMatch(/requests has no version matching ==9\.9\.9 .* \(it has 2\.31\.0, 2\.32\.3\); change the version/);
    });

    test('no compatible wheel: the package, its version and the tags tried', async () => {
      const sdist = await resolveFails({ requirements: ['sdistonly'] });
      expect(sdist).toMatch(/sdistonly 1\.0: only a source distribution, and lamina installs wheels only/);
      expect(sdist).toMatch(/Tags tried: cp311-cp311-manylinux_2_26_x86_64, .*py30-none-any \(\d+ tags\)/);
      const desktop = await resolveFails({ requirements: ['desktop==3.0'], architectures: ['arm64'] });
      expect(desktop).toContain('(python3.11 arm64)');
      expect(desktop).toMatch(/desktop 3\.0: no wheel for python3\.11 arm64 \(files: desktop-3\.0-py3-none-macosx_11_0_arm64\.whl/);
      expect(desktop).toMatch(/Versions with a compatible wheel: 2\.0\. Pick a version with a wheel for python3\.11 arm64, or drop python3\.11\/arm64 from the entry/);
      const oldGlibc = await resolveFails({ requirements: ['glibc-new>=2'] });
      expect(oldGlibc).toMatch(/glibc-new 2\.0: no wheel for python3\.11 x86_64; its Linux wheels need glibc 2\.34 and python3\.11 has 2\.26/);
      expect(oldGlibc).toMatch(/or use a newer Python runtime with glibc 2\.34 or later \(python3\.12, python3\.13, python3\.14\)/);
    });

    test('a missing wheel is named as the cause, not as a conflict, and each piece of advice is said once', async () => {
      // numpy>=2.3 with pandas<3 on python3.11: every constraint is satisfiable, only the wheel is missing.
      const message = await resolveFails({ requirements: ['wheelframe<3', 'wheelnum>=2.3'] });
      expect(message).toMatch(/^python layer .*: no compatible wheel of wheelnum for wheelnum>=2\.3 \(the entry\) and wheelnum>=1\.0 \(required by wheelframe 2\.0\): wheelnum 2\.3: no wheel for python3\.11 x86_64; its Linux wheels need glibc 2\.28/);
      expect(message).not.toMatch(/leave no version|conflict/);
      expect(message.match(/Pick a version with a wheel/g)).toHaveLength(1);
      expect(message.match(/use a newer Python runtime/g)).toHaveLength(1);
    });

    test('never suggests a newer Python runtime when no Lambda runtime has the glibc a wheel needs', async () => {
      const message = await resolveFails({ requirements: ['glibc-future'], runtimes: ['python3.13'] });
      expect(message).toMatch(/glibc-future 1\.0: no wheel for python3\.13 x86_64; its Linux wheels need glibc 2\.39 and python3\.13 has 2\.34/);
      expect(message).toMatch(/newer than any Lambda runtime has: the newest, Amazon Linux 2023, has 2\.34; pin an older glibc-future/);
      expect(message).not.toMatch(/newer Python runtime/);
    });

    test('unsolvable requirements say which conflicts with which', async () => {
      const message = await resolveFails({ requirements: ['alpha', 'beta'] });
      expect(message).toContain('(python3.11 x86_64)');
      expect(message).toMatch(/shared<2 \(required by alpha 1\.0\) and shared>=2 \(required by beta 1\.0\) leave no version of shared/);
      expect(message).toMatch(/Loosen or pin one side of the conflict/);
    });

    test('hash mismatch', async () => {
      harness.server.options = { wrongHashes: { 'pysocks-1.7.1-py3-none-any.whl': 'ab'.repeat(32) } };
      const ctx = harness.context('hash');
      const target = await pythonKind.resolve(targetFor({ requirements: ['pysocks'] }), ctx);
      const message = await failure(pythonKind.build(target, ctx));
      expect(message).toContain('python layer lamina-py311-x86_64-fixture (python3.11 x86_64): pysocks 1.7.1');
      expect(message).toMatch(/has sha256 [0-9a-f]{64} but the index publishes abab/);
      expect(message).toMatch(/Retry the build/);
      expect(existsSync(path.join(ctx.workDir, 'layer', 'python', 'pysocks'))).toBe(false);
    });

    test('a wheel with paths escaping the folder', async () => {
      const ctx = harness.context('evil');
      const target = await pythonKind.resolve(targetFor({ requirements: ['evil'] }), ctx);
      const message = await failure(pythonKind.build(target, ctx));
      expect(message).toContain('(python3.11 x86_64): evil 1.0');
      expect(message).toMatch(/\.\.\/\.\.\/escaped\.py.* would be written outside/);
      expect(message).toMatch(/pin another version of evil/);
      expect(existsSync(path.join(ctx.workDir, 'escaped.py'))).toBe(false);
      expect(existsSync(path.join(ctx.workDir, 'layer', 'escaped.py'))).toBe(false);
    });

    test('a layer over the size limit fails before anything is installed (and after strip, when strip is on)', async () => {
      const small = createPythonKind({ maxUnzippedBytes: 200_000 });
      const ctx = harness.context('big');
      const target = await small.resolve(targetFor({ requirements: ['bulky', 'idna'] }), ctx);
      const message = await failure(small.build(target, ctx));
      expect(message).toContain('python layer lamina-py311-x86_64-fixture (python3.11 x86_64)');
      expect(message).toMatch(/over the limit of 200000 bytes/);
      expect(message).toMatch(/Largest: bulky 1\.0 \(300\.\d kB\)/);
      expect(message).toMatch(/Split the entry into several layers/);
      expect(existsSync(path.join(ctx.workDir, 'layer', 'python', 'bulky'))).toBe(false);
      const strippedCtx: KindContext = harness.context('big-strip');
      const stripTarget = await small.resolve(targetFor({ requirements: ['bulky'], strip: true }), strippedCtx);
      expect(await failure(small.build(stripTarget, strippedCtx))).toMatch(/Largest: bulky \(300\.\d kB\)/);
    });
  });
});

describe('an index without metadata files', () => {
  // A harness of its own: the notice is said once per index URL, and every harness serves on a new port.
  const harness = useFixtureIndex();

  test('is said once, not once per distribution or per target', async () => {
    const contexts = [harness.context('notice-1'), harness.context('notice-2')];
    const target = (architecture: 'x86_64' | 'arm64') =>
      onlyTarget(pythonKind.expand(entry({ index: harness.server.url, requirements: ['nometa', 'nometa-too'], architectures: [architecture] }), { prefix: 'lamina' }));
    await pythonKind.resolve(target('x86_64'), contexts[0]);
    await pythonKind.resolve(target('arm64'), contexts[1]);
    const notices = contexts.flatMap((ctx) => ctx.lines).filter((line) => /no metadata files/.test(line));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(harness.server.url);
  });
});
