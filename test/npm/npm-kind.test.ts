import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { zipBuiltLayer } from '../../functions/archive/deterministic-zip';
import { extractZip, listZip } from '../../functions/archive/extract-zip';
import { VerificationError, type BuiltLayer, type KindContext, type LayerTarget, type ResolvedTarget } from '../../functions/layers/kind';
import { createNpmKind, type NpmEntry, type NpmManifest } from '../../functions/layers/npm/kind';
import { inputHashOf } from '../../functions/plan/plan';
import { hostEnvironment } from '../../functions/verify/environments';
import { serveRegistry, type FixtureRegistry } from './support/registry';
import { UNIVERSE } from './support/universe';

const run = promisify(execFile);
const kind = createNpmKind({ concurrency: 4 });
const hostMajor = Number(process.versions.node.split('.')[0]);

describe('npm layer kind against a fixture registry', () => {
  let dir: string;
  let registry: FixtureRegistry;
  let n = 0;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(tmpdir(), 'lamina-npm-'));
    registry = await serveRegistry(UNIVERSE);
  });
  afterAll(async () => {
    await registry.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const ctx = async (): Promise<KindContext> => {
    const workDir = path.join(dir, 'work', String(++n));
    await fs.mkdir(workDir, { recursive: true });
    return { workDir, cacheDir: path.join(dir, 'cache'), log: () => undefined };
  };
  const targetsOf = (entry: Partial<NpmEntry> & Record<string, unknown>): LayerTarget[] => {
    const parsed = kind.entrySchema.parse({ name: 'demo', kind: 'npm', runtimes: ['nodejs20.x'], architectures: ['x86_64'], registry: registry.url, ...entry }) as NpmEntry;
    return kind.expand(parsed, { prefix: 'lamina', catalogDir: dir });
  };
  const resolveOne = async (entry: Record<string, unknown>): Promise<ResolvedTarget> => kind.resolve(targetsOf(entry)[0], await ctx());
  const buildOne = async (entry: Record<string, unknown>) => {
    const c = await ctx();
    const resolved = await kind.resolve(targetsOf(entry)[0], c);
    return { resolved, built: await kind.build(resolved, c), ctx: c };
  };
  /** The built layer's zip, unpacked: what Verify proves and what lands in /opt. */
  const unpacked = async (built: BuiltLayer, name: string): Promise<string> => {
    const zip = await zipBuiltLayer(built, path.join(dir, `${name}.zip`));
    const out = path.join(dir, name);
    await extractZip(zip.path, out);
    return out;
  };
  const locations = (target: ResolvedTarget) => (target.inputs as { packages: Array<{ location: string; version: string }> }).packages.map((p) => `${p.location}@${p.version}`);

  it('names one layer per runtime x architecture, readable: <prefix>-node22-arm64-<name>', () => {
    const targets = targetsOf({ packages: ['greet'], runtimes: ['nodejs20.x', 'nodejs22.x'], architectures: ['x86_64', 'arm64'] });
    expect(targets.map((t) => t.layerName)).toEqual(['lamina-node20-x86_64-demo', 'lamina-node20-arm64-demo', 'lamina-node22-x86_64-demo', 'lamina-node22-arm64-demo']);
    expect(targets[3]).toMatchObject({ runtimes: ['nodejs22.x'], architectures: ['arm64'] });
  });

  it('resolves the tree npm installs for the target: dev dependencies left out, peers in, only the target\'s platform package', async () => {
    const x64 = await resolveOne({ packages: ['greet', 'fastlib', 'peerhost', '@fixture/esm-only'] });
    expect(locations(x64)).toEqual([
      'node_modules/@fast/linux-x64@1.0.0',
      'node_modules/@fixture/esm-only@1.0.0',
      'node_modules/fastlib@1.0.0',
      'node_modules/greet@1.2.0',
      'node_modules/peerhost@1.0.0',
      'node_modules/shout@2.0.0',
    ]);
    const arm = await resolveOne({ packages: ['fastlib', 'greet@1.0.0'], architectures: ['arm64'] });
    expect(locations(arm)).toEqual(['node_modules/@fast/linux-arm64@1.0.0', 'node_modules/fastlib@1.0.0', 'node_modules/greet@1.0.0', 'node_modules/shout@1.0.0']);
    expect(arm.packageVersion).toBe('fastlib 1.0.0');
  });

  it('builds nodejs/node_modules from verified tarballs: stripped, no links, deterministic bytes, manifest, SBOM and licenses', async () => {
    const entry = { packages: ['greet@^1.2', 'fastlib', 'chatty'] };
    const { built, resolved } = await buildOne(entry);
    // The layer as it will be in /opt: the zip's content (the streamed layout writes no tree).
    const root = await unpacked(built, 'layer-content');
    const greet = path.join(root, 'nodejs/node_modules/greet');
    expect(existsSync(path.join(greet, 'index.js'))).toBe(true);
    expect(existsSync(path.join(greet, 'LICENSE'))).toBe(true);
    for (const gone of ['README.md', 'CHANGELOG.md', 'test', 'docs', 'lib/util.ts', 'lib/util.js.map', 'lib/util.d.ts']) expect(existsSync(path.join(greet, gone))).toBe(false);
    // A TypeScript file with no compiled JS beside it stays: it may be all there is.
    expect(existsSync(path.join(greet, 'lib/only.ts'))).toBe(true);
    expect(existsSync(path.join(root, 'nodejs/node_modules/.bin'))).toBe(false);
    expect(existsSync(path.join(root, 'nodejs/node_modules/@fast/darwin-arm64'))).toBe(false);
    const manifest = built.manifest as NpmManifest;
    expect(manifest.packages.map((p) => p.location)).toContain('node_modules/@fast/linux-x64');
    expect(manifest.nativeFiles).toEqual([{ file: 'nodejs/node_modules/@fast/linux-x64/fast.node', machine: 'x86_64', glibc: '2.17' }]);
    expect(manifest.installScriptsSkipped.join('\n')).toMatch(/chatty@1\.0\.0 \(postinstall: node -e/);
    expect(manifest.installScriptsSkipped.join('\n')).toMatch(/fastlib@1\.0\.0 \(install: prebuild-install \|\| node-gyp rebuild\)/);
    expect(built.licenseInfo).toBe('fastlib: BSD-3-Clause; greet: MIT');
    expect(built.description).toBe('greet 1.2.0 (+4 packages) for nodejs20.x x86_64');
    const sbom = JSON.parse(built.attachments!['sbom.cdx.json']);
    const shout = sbom.components.find((c: { name: string }) => c.name === 'shout');
    expect(shout.purl).toBe('pkg:npm/shout@2.0.0');
    expect(shout.hashes[0].alg).toBe('SHA-512');
    expect(sbom.components.find((c: { name: string }) => c.name === '@fast/linux-x64').purl).toBe('pkg:npm/%40fast/linux-x64@1.0.0');
    expect(sbom.dependencies[0].dependsOn).toEqual(['pkg:npm/chatty@1.0.0', 'pkg:npm/fastlib@1.0.0', 'pkg:npm/greet@1.2.0']);

    const first = await zipBuiltLayer(built, path.join(dir, 'first.zip'));
    const again = await kind.build(resolved, await ctx());
    const second = await zipBuiltLayer(again, path.join(dir, 'second.zip'));
    expect(second.sha256).toBe(first.sha256);
    const entries = await listZip(first.path);
    expect(entries.every((e) => !e.isSymlink)).toBe(true);
    expect(entries.map((e) => e.name)).toContain('nodejs/node_modules/greet/package.json');
  });

  it('gives Plan the resolved tree as inputs: unchanged tree, unchanged hash; a new release in range changes it', async () => {
    const a = await resolveOne({ packages: ['greet'] });
    const b = await resolveOne({ packages: ['greet'] });
    expect(inputHashOf(b)).toBe(inputHashOf(a));
    const newer = await serveRegistry([...UNIVERSE, { ...UNIVERSE[1], version: '1.3.0' }]);
    try {
      const c = await kind.resolve(
        kind.expand(kind.entrySchema.parse({ name: 'demo', kind: 'npm', packages: ['greet'], runtimes: ['nodejs20.x'], architectures: ['x86_64'], registry: registry.url }) as NpmEntry, { prefix: 'lamina' })[0],
        await ctx(),
      );
      expect(inputHashOf(c)).toBe(inputHashOf(a));
      const d = await kind.resolve(
        kind.expand(kind.entrySchema.parse({ name: 'demo', kind: 'npm', packages: ['greet'], runtimes: ['nodejs20.x'], architectures: ['x86_64'], registry: newer.url }) as NpmEntry, { prefix: 'lamina' })[0],
        await ctx(),
      );
      expect(locations(d)).toContain('node_modules/greet@1.3.0');
      expect(inputHashOf(d)).not.toBe(inputHashOf(a));
    } finally {
      await newer.close();
    }
  });

  it('installs a package-lock.json exactly, older than the newest release', async () => {
    const project = path.join(dir, 'lockproject');
    await fs.mkdir(project, { recursive: true });
    await fs.writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { greet: '1.0.0' } }));
    await run('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', `--registry=${registry.url}`, `--cache=${path.join(dir, 'npm-cache')}`], { cwd: project });
    const resolved = await resolveOne({ lockfile: 'lockproject/package-lock.json' });
    expect(locations(resolved)).toEqual(['node_modules/greet@1.0.0', 'node_modules/shout@1.0.0']);
  });

  (hostMajor >= 18 && process.arch === 'x64' ? it : it.skip)('verifies by loading each top-level package on the target Node.js through the Runtime API: require, and import for ES modules only', async () => {
    const { built, resolved, ctx: c } = await buildOne({ packages: ['greet', '@fixture/esm-only', 'fastlib'], runtimes: [`nodejs${hostMajor}.x`] });
    const env = await hostEnvironment({ runtime: `nodejs${hostMajor}.x`, architecture: 'x86_64' }, { cacheDir: c.cacheDir, npmRegistryUrl: registry.url });
    const report = await kind.verify!.run(resolved, await unpacked(built, 'verify-good'), { ...c, env });
    expect(report.summary).toMatch(new RegExp(`loaded 3 top-level package\\(s\\) on Node.js v${process.versions.node} x64: greet \\(require\\), @fixture/esm-only \\(import\\), fastlib \\(require\\)`));

    const broken = await buildOne({ packages: ['broken-load', 'greet'], runtimes: [`nodejs${hostMajor}.x`] });
    const failure = kind.verify!.run(broken.resolved, await unpacked(broken.built, 'verify-broken'), { ...broken.ctx, env });
    await expect(failure).rejects.toThrow(VerificationError);
    await expect(failure).rejects.toThrow(/broken-load does not load on Node\.js v\d+\.\d+\.\d+ x64: Error: this package does not load/);
  });

  describe('bad input fails the build naming the package, the target and what to do', () => {
    const target = 'npm layer lamina-node20-x86_64-demo \\(nodejs20\\.x x86_64\\)';
    it.each([
      ['an unknown package', { packages: ['no-such-package'] }, `${target}: no-such-package: no such package on .*; check the name's spelling`],
      ['an unknown version', { packages: ['greet@^7'] }, `${target}: greet@\\^7: no version matches greet@\\^7 on .*; pick a version that exists`],
      ['a spec that does not parse', { packages: ['greet@>=<1'] }, `${target}: greet@>=<1: no version matches|package spec "greet@>=<1"`],
      ['a spec that is not from a registry', { packages: ['git+https://example.invalid/x.git'] }, 'package spec "git\\+https://example.invalid/x.git" is a git spec; an npm layer installs from the registry only'],
      ['a package with no build for the target', { packages: ['armonly'] }, `${target}: armonly@1.0.0 is built only for os \\["linux"\\], cpu \\["arm64"\\], not linux x64 glibc; .*build this entry for the platform it names`],
      ['an engines mismatch', { packages: ['modern'] }, `${target}: engines do not allow Node.js 20.99.0: modern@1.0.0 needs Node.js >=22. Pin versions that support this Node.js line, or drop this runtime`],
    ])('at resolve: %s', async (_what, entry, message) => {
      await expect(resolveOne(entry)).rejects.toThrow(new RegExp(message));
    });

    it.each([
      ['an integrity mismatch', { packages: ['tampered'] }, `${target}: tampered@1.0.0 \\(http://127.0.0.1:\\d+/tampered/-/tampered-1.0.0.tgz\\): integrity mismatch: .*nothing was installed`],
      ['an install-script-only package', { packages: ['needs-build'] }, `${target}: needs-build@1.0.0 needs its install script \\(install: node-gyp rebuild\\) to build or download native code, and ships no prebuilt binary for linux x64. lamina runs no install scripts`],
      ['a native file for the wrong architecture', { packages: ['wrongbin'] }, `${target}: native code that cannot load on nodejs20.x \\(Amazon Linux 2023, glibc 2.34\\) x86_64: node_modules/wrongbin/build/Release/addon.node is built for arm64, not x86_64. Pin a version that ships a prebuilt binary for this target`],
      ['a native file needing a newer glibc', { packages: ['newglibc'] }, `${target}: native code .*: node_modules/newglibc/addon.node needs glibc 2.38, newer than the 2.34 of nodejs20.x`],
    ])('at build: %s', async (_what, entry, message) => {
      await expect(buildOne(entry)).rejects.toThrow(new RegExp(message));
    });

    it('takes a top-level platform package for the target it fits, which npm itself would refuse on this machine', async () => {
      const arm = await resolveOne({ packages: ['armonly'], architectures: ['arm64'] });
      expect(locations(arm)).toEqual(['node_modules/armonly@1.0.0']);
      const modern = await resolveOne({ packages: ['modern'], runtimes: ['nodejs22.x'] });
      expect(locations(modern)).toEqual(['node_modules/modern@1.0.0']);
    });

    it('refuses an entry with both packages and lockfile, or neither', () => {
      expect(() => targetsOf({ packages: ['greet'], lockfile: 'package-lock.json' })).toThrow(/either packages .* or lockfile/);
      expect(() => targetsOf({})).toThrow(/either packages .* or lockfile/);
    });
  });
});
