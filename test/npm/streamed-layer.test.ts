import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { zipBuiltLayer } from '../../functions/archive/deterministic-zip';
import { extractZip, listZip } from '../../functions/archive/extract-zip';
import { BuildError, type KindContext, type LayerKind } from '../../functions/layers/kind';
import { createNpmKind, type NpmEntry, type NpmManifest } from '../../functions/layers/npm/kind';
import { mixedPayload } from '../python/support/fixture-index';
import { elfFixture } from '../support/elf-fixture';
import { expectReadersAccept } from '../support/zip-readers';
import { realisticTree } from './support/realistic';
import { serveRegistry, type FixturePackage, type FixtureRegistry } from './support/registry';
import { UNIVERSE } from './support/universe';

/** Tarballs made to exercise each rule of pacote's extraction the streamed layout follows. */
const TAR_RULES: FixturePackage[] = [
  {
    name: 'tarry',
    version: '1.0.0',
    manifest: { main: 'index.js', license: 'MIT', bin: { tarry: 'bin/run' } },
    files: {
      'index.js': 'module.exports = 1;\n',
      'bin/run': '#!/usr/bin/env node\n',
      'bin/not-marked': '#!/usr/bin/env node\n',
      odd: 'owner-only exec\n',
      readonly: 'r--r--r--\n',
      '.gitignore': 'node_modules\n',
      'sub/.npmignore': 'kept\n',
      'sub/.gitignore': 'dropped: an .npmignore came first\n',
      'notes/README.md': '# only docs here: strip empties the folder\n',
      'readme.js': 'module.exports = "a file named like a doc";\n',
      'readme.js.map': '{}\n',
      'lib/a.ts': 'export const a = 1;\n',
      'lib/a.js': 'exports.a = 1;\n',
      'lib/a.test.ts': 'test\n',
      'prebuilds/linux-x64/x.node': elfFixture({ machine: 'x86_64', glibc: ['2.17'] }),
      'prebuilds/darwin-arm64/x.node': 'a Mach-O file: strip leaves it out, and no ELF check applies\n',
    },
    modes: { 'bin/run': 0o755, odd: 0o700, readonly: 0o444 },
    entries: [
      { path: 'package/emptydir/', type: 'Directory' },
      { path: 'package/link', type: 'SymbolicLink', linkpath: 'index.js' },
      { path: 'package/outside-link', type: 'SymbolicLink', linkpath: '../../../etc/passwd' },
      { path: 'package/hard', type: 'Link', linkpath: 'package/index.js' },
      { path: 'package/dev', type: 'CharacterDevice' },
      { path: 'package/./dot//slashes.js', body: 'normalized\n' },
      { path: 'another-root/extra.js', body: 'the first component is dropped whatever its name\n' },
      { path: '/package/absolute.js', body: 'the root is stripped\n' },
      { path: 'package/dup.js', body: 'first, executable\n', mode: 0o755 },
      { path: 'package/dup.js', body: 'second wins, the first mode stays\n', mode: 0o644 },
      { path: 'package/clash', body: 'a file' },
      { path: 'package/clash/inner.js', body: 'skipped: a file is in the way\n' },
    ],
  },
  {
    name: 'bundler',
    version: '1.0.0',
    manifest: { main: 'index.js', dependencies: { shout: '^1.0.0' } },
    files: { 'index.js': "module.exports = require('shout');\n", 'node_modules/shout/stale.js': 'replaced by the real shout 1\n', 'node_modules/shout/index.js': 'stale\n', 'node_modules/ghost/index.js': 'not a package of the tree: stays\n' },
  },
  { name: 'bigfile', version: '1.0.0', manifest: { main: 'index.js' }, files: { 'index.js': '', 'big.node': Buffer.concat([elfFixture({ machine: 'x86_64', glibc: ['2.17'] }), mixedPayload(9 * 1024 * 1024, 5)]) } },
  { name: 'evil', version: '1.0.0', files: { 'index.js': '' }, entries: [{ path: 'package/../../escaped.js', body: 'out\n' }] },
  { name: 'evil-nested', version: '1.0.0', files: { 'index.js': '' }, entries: [{ path: 'package/lib/../../../up.js', body: 'out\n' }] },
];
const REALISTIC = realisticTree({ prefix: 'rl', packages: 14, files: 40, natives: [300_000] });

/** Every fixture set: the streamed layout must lay each out exactly as pacote's extraction does. */
const SETS: Array<[string, Partial<NpmEntry> & { packages: string[] }]> = [
  ['platform packages, install scripts, strip (default)', { packages: ['greet@^1.2', 'fastlib', 'chatty'] }],
  ['the same without strip', { packages: ['greet@^1.2', 'fastlib', 'chatty'], strip: false }],
  ['the same, strip without docs and source maps', { packages: ['greet@^1.2', 'fastlib', 'chatty'], strip: { docs: false, sourceMaps: false } }],
  ['arm64, an older tree', { packages: ['fastlib', 'greet@1.0.0'], architectures: ['arm64'] }],
  ['scoped, ES module, peer, engines', { packages: ['@fixture/esm-only', 'peerhost', 'modern'], runtimes: ['nodejs22.x'] }],
  ["pacote's extraction rules (links, devices, folders, .gitignore, modes, odd paths, duplicates)", { packages: ['tarry'] }],
  ["pacote's extraction rules, no strip", { packages: ['tarry'], strip: false }],
  ["a nested package replaces its parent's bundled copy", { packages: ['bundler', 'shout@2'] }],
  ['a file over the in-memory size (streamed deflate), native', { packages: ['bigfile'] }],
  ['realistic tree: many small files, nested copies, a native file', { packages: ['rl-app'] }],
  ['realistic tree, no strip', { packages: ['rl-app'], strip: false }],
];

describe('npm layers streamed from their tarballs into the zip', () => {
  let dir: string;
  let registry: FixtureRegistry;
  let n = 0;
  const streamed = createNpmKind({ concurrency: 4 });
  const tree = createNpmKind({ concurrency: 4, layout: 'tree' });

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(tmpdir(), 'lamina-npm-stream-'));
    registry = await serveRegistry([...UNIVERSE, ...TAR_RULES, ...REALISTIC]);
  });
  afterAll(async () => {
    await registry.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const context = async (name: string): Promise<KindContext> => {
    const workDir = path.join(dir, 'work', `${++n}-${name.replace(/\W+/g, '-').slice(0, 40)}`);
    await fs.mkdir(workDir, { recursive: true });
    return { workDir, cacheDir: path.join(workDir, 'cache'), log: () => undefined };
  };
  const resolveWith = async (kind: LayerKind<NpmEntry>, fields: Partial<NpmEntry>, ctx: KindContext) => {
    const entry = kind.entrySchema.parse({ name: 'demo', kind: 'npm', runtimes: ['nodejs20.x'], architectures: ['x86_64'], registry: registry.url, ...fields }) as NpmEntry;
    return kind.resolve(kind.expand(entry, { prefix: 'lamina' })[0], ctx);
  };
  const buildAndZip = async (kind: LayerKind<NpmEntry>, fields: Partial<NpmEntry>, name: string) => {
    const ctx = await context(name);
    const target = await resolveWith(kind, fields, ctx);
    const built = await kind.build(target, ctx);
    const zip = await zipBuiltLayer(built, path.join(ctx.workDir, 'layer.zip'));
    return { ctx, built, zip };
  };
  const filesBelow = async (folder: string): Promise<string[]> => {
    if (!existsSync(folder)) return [];
    const entries = await fs.readdir(folder, { recursive: true, withFileTypes: true });
    return entries.filter((e) => !e.isDirectory()).map((e) => path.relative(folder, path.join(e.parentPath, e.name)));
  };
  const failureOf = (work: Promise<unknown>) =>
    work.then(
      () => undefined,
      (error: unknown) => error as Error,
    );

  test.each(SETS)('%s: the same bytes as the zip built through the extracted tree', async (name, fields) => {
    const s = await buildAndZip(streamed, fields, `streamed-${name}`);
    const t = await buildAndZip(tree, fields, `tree-${name}`);
    expect(t.built.archived).toBeUndefined();
    expect(s.zip.sha256).toBe(t.zip.sha256);
    expect(s.zip.entries).toBe(t.zip.entries);
    expect(s.zip.unzippedSize).toBe(t.zip.unzippedSize);
    expect(s.built.manifest).toEqual(t.built.manifest);
    expect((s.built.manifest as NpmManifest).unzippedBytes).toBe(s.zip.unzippedSize);
    expect(s.built.description).toBe(t.built.description);
    expect(s.built.licenseInfo).toBe(t.built.licenseInfo);
    expect(s.built.attachments).toEqual(t.built.attachments);
    // Nothing was extracted: the layer folder is empty, every file came from a tarball through the spool.
    expect(s.built.archived!.length).toBeGreaterThan(0);
    expect(await filesBelow(s.built.rootDir)).toEqual([]);
  });

  test("the layout follows pacote's rules: what is skipped, renamed, normalized, replaced; modes", async () => {
    const { zip } = await buildAndZip(streamed, { packages: ['tarry', 'bundler', 'shout@2'], strip: false }, 'rules');
    const entries = new Map((await listZip(zip.path)).map((e) => [e.name, e]));
    const at = (name: string) => entries.get(`nodejs/node_modules/${name}`);
    for (const kept of ['tarry/index.js', 'tarry/.npmignore', 'tarry/sub/.npmignore', 'tarry/dot/slashes.js', 'tarry/extra.js', 'tarry/package/absolute.js', 'tarry/clash', 'tarry/notes/', 'bundler/node_modules/ghost/index.js', 'bundler/node_modules/shout/index.js']) {
      expect([kept, at(kept) !== undefined]).toEqual([kept, true]);
    }
    for (const skipped of ['tarry/.gitignore', 'tarry/sub/.gitignore', 'tarry/emptydir/', 'tarry/link', 'tarry/outside-link', 'tarry/hard', 'tarry/dev', 'tarry/clash/inner.js', 'bundler/node_modules/shout/stale.js']) {
      expect([skipped, at(skipped)]).toEqual([skipped, undefined]);
    }
    const mode = (name: string) => (at(name)!.mode & 0o777).toString(8);
    expect(['bin/run', 'odd', 'dup.js', 'bin/not-marked', 'readonly', 'index.js'].map((f) => mode(`tarry/${f}`))).toEqual(['755', '755', '755', '644', '644', '644']);
    const out = path.join(dir, 'rules-out');
    await extractZip(zip.path, out);
    expect(await fs.readFile(path.join(out, 'nodejs/node_modules/tarry/dup.js'), 'utf8')).toBe('second wins, the first mode stays\n');
    expect(await fs.readFile(path.join(out, 'nodejs/node_modules/tarry/.npmignore'), 'utf8')).toBe('node_modules\n');
    expect(await fs.readFile(path.join(out, 'nodejs/node_modules/bundler/node_modules/shout/index.js'), 'utf8')).toBe('module.exports = (s) => s;\n');
  });

  test('the streamed zip passes every reader: python zipfile, unzip -t, zipinfo, yauzl (crc of every entry)', async () => {
    const { ctx, built, zip } = await buildAndZip(streamed, { packages: ['rl-app', 'tarry', 'bigfile'] }, 'readers');
    expect(built.archived!.length).toBeGreaterThan(300);
    const opt = path.join(ctx.workDir, 'opt');
    const listing = await expectReadersAccept(zip.path, opt);
    if (listing) {
      expect(listing).toMatch(/-rwxr-xr-x .* nodejs\/node_modules\/tarry\/bin\/run/);
      expect(listing).toMatch(/-rw-r--r-- .* nodejs\/node_modules\/bigfile\/big\.node/);
    }
    expect((await fs.stat(path.join(opt, 'nodejs/node_modules/bigfile/big.node'))).size).toBeGreaterThan(9 * 1024 * 1024);
  });

  test('a tarball whose integrity does not match fails the build before any of it is laid out', async () => {
    const ctx = await context('tampered');
    const target = await resolveWith(streamed, { packages: ['greet', 'tampered'] }, ctx);
    const error = await failureOf(streamed.build(target, ctx));
    expect(error).toBeInstanceOf(BuildError);
    expect(error!.message).toMatch(/tampered@1\.0\.0 \(http:\/\/127\.0\.0\.1:\d+\/tampered\/-\/tampered-1\.0\.0\.tgz\): integrity mismatch: .*nothing was installed/);
    expect(await filesBelow(path.join(ctx.workDir, 'layer'))).toEqual([]);
    expect(existsSync(path.join(ctx.workDir, 'layer.zip'))).toBe(false);
  });

  test.each([
    ['package/../../escaped.js', 'evil'],
    ['package/lib/../../../up.js', 'evil-nested'],
  ])('path safety: the entry %s is refused, the build fails and nothing is written outside', async (entryName, pkg) => {
    const ctx = await context(pkg);
    const target = await resolveWith(streamed, { packages: ['greet', pkg] }, ctx);
    const error = await failureOf(streamed.build(target, ctx));
    expect(error).toBeInstanceOf(BuildError);
    expect(error!.message).toMatch(new RegExp(`${pkg}@1\\.0\\.0 .*: the tarball's entry "${entryName.replace(/\./g, '\\.')}" names '\\.\\.' and would be written outside its package folder; refusing the package, nothing was built`));
    expect(existsSync(path.join(ctx.workDir, 'escaped.js')) || existsSync(path.join(ctx.workDir, 'up.js')) || existsSync(path.join(dir, 'escaped.js'))).toBe(false);
    expect(await filesBelow(path.join(ctx.workDir, 'layer'))).toEqual([]);
  });

  test('the size limit holds on the streamed path, counted after strip; the message names the largest packages', async () => {
    const unstripped = await buildAndZip(streamed, { packages: ['rl-app'], strip: false }, 'size-full');
    const stripped = await buildAndZip(streamed, { packages: ['rl-app'] }, 'size-stripped');
    expect(stripped.zip.unzippedSize).toBeLessThan(unstripped.zip.unzippedSize);
    // A limit between the two: the stripped layer fits, the full one does not.
    const limit = Math.floor((stripped.zip.unzippedSize + unstripped.zip.unzippedSize) / 2);
    for (const layout of ['streamed', 'tree'] as const) {
      const kind = createNpmKind({ concurrency: 4, maxUnzippedBytes: limit, layout });
      const ok = await buildAndZip(kind, { packages: ['rl-app'] }, `size-ok-${layout}`);
      expect(ok.zip.sha256).toBe(stripped.zip.sha256);
      const ctx = await context(`size-over-${layout}`);
      const error = await failureOf(kind.build(await resolveWith(kind, { packages: ['rl-app'], strip: false }, ctx), ctx));
      expect(error).toBeInstanceOf(BuildError);
      expect(error!.message).toMatch(new RegExp(`the layer would be ${unstripped.zip.unzippedSize} bytes .* unzipped, over the limit of ${limit} bytes .*Largest: [@a-z0-9/-]+ \\(\\d`));
    }
  });

  test('native files are checked on the streamed path as on the tree: the same refusal, naming each file', async () => {
    const messages: string[] = [];
    for (const kind of [streamed, tree]) {
      const ctx = await context('native');
      const target = await resolveWith(kind, { packages: ['wrongbin', 'newglibc'] }, ctx);
      messages.push((await failureOf(kind.build(target, ctx)))?.message ?? '');
    }
    expect(messages[0]).toMatch(/native code that cannot load on nodejs20\.x .*: node_modules\/newglibc\/addon\.node needs glibc 2\.38, .*; node_modules\/wrongbin\/build\/Release\/addon\.node is built for arm64, not x86_64/);
    expect(messages[1]).toBe(messages[0]);
  });
});
