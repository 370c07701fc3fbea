import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { writeDeterministicZip } from '../../functions/archive/deterministic-zip';
import { listZip } from '../../functions/archive/extract-zip';
import { filesKind, type FilesEntry } from '../../functions/layers/files/kind';
import type { KindContext, LayerTarget } from '../../functions/layers/kind';
import { elfFixture } from '../support/elf-fixture';
import { writeZip } from '../support/zip-writer';
import { serveFixtures, tarGz, type FixtureServer } from '../runtimes/support/fixtures';

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const hasXz = (() => {
  try {
    execFileSync('xz', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

if (!hasXz) console.warn('files-kind.test: no xz tool on this machine (apt-get install xz-utils): the tar.xz case is skipped');

const tool = tarGz([
  { path: 'tool-1.0/', type: 'Directory' },
  { path: 'tool-1.0/bin/', type: 'Directory' },
  { path: 'tool-1.0/bin/hello', body: '#!/bin/sh\necho hello\n', mode: 0o755 },
  { path: 'tool-1.0/share/data.txt', body: 'data\n' },
]);
const escaping = tarGz([{ path: 'ok.txt', body: 'fine' }, { path: '../../escaped.txt', body: 'out!' }]);
const linkOut = tarGz([{ path: 'lib/evil', type: 'SymbolicLink', linkpath: '../../../etc/passwd' }]);

describe('files layer kind', () => {
  let dir: string;
  let server: FixtureServer;
  let zipBytes: Buffer;
  let xzBytes: Buffer | undefined;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(tmpdir(), 'lamina-files-'));
    const zipFile = path.join(dir, 'lib.zip');
    await writeZip(zipFile, [
      { name: 'libdemo.so.1', data: elfFixture({ machine: 'x86_64', glibc: ['2.17'] }), mode: 0o100755 },
      { name: 'README', data: 'a library\n', mode: 0o100644 },
    ]);
    zipBytes = await fs.readFile(zipFile);
    if (hasXz) xzBytes = execFileSync('xz', ['-c'], { input: gunzipSync(tool) });
    server = await serveFixtures({
      '/tool-1.0.tar.gz': tool,
      '/lib.zip': zipBytes,
      '/escaping.tar.gz': escaping,
      '/link-out.tgz': linkOut,
      '/arm.zip': zipBytes,
      ...(xzBytes ? { '/tool-1.0.tar.xz': xzBytes } : {}),
    });
    await fs.mkdir(path.join(dir, 'repo/config/nested'), { recursive: true });
    await fs.writeFile(path.join(dir, 'repo/config/app.json'), '{"a":1}\n');
    await fs.writeFile(path.join(dir, 'repo/config/nested/run.sh'), '#!/bin/sh\necho run\n', { mode: 0o755 });
  });
  afterAll(async () => {
    await server.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const ctxFor = async (name: string): Promise<KindContext> => {
    const workDir = path.join(dir, 'work', name);
    await fs.mkdir(workDir, { recursive: true });
    return { workDir, cacheDir: path.join(dir, 'cache', name), log: () => undefined };
  };
  const targetOf = (entry: Record<string, unknown>): LayerTarget => {
    const parsed = filesKind.entrySchema.parse({ name: 'demo', kind: 'files', ...entry }) as FilesEntry;
    return filesKind.expand(parsed, { prefix: 'lamina', catalogDir: path.join(dir, 'repo') })[0];
  };
  const buildOf = async (entry: Record<string, unknown>, name: string) => {
    const ctx = await ctxFor(name);
    const resolved = await filesKind.resolve(targetOf(entry), ctx);
    return { built: await filesKind.build(resolved, ctx), resolved, ctx };
  };

  it('lays a repository folder and a tar.gz with the right sha256 under their paths, executables kept executable', async () => {
    const { built, resolved } = await buildOf(
      {
        sources: [
          { folder: 'config', to: 'etc/app' },
          { url: `${server.url}/tool-1.0.tar.gz`, sha256: sha(tool), strip: 1, to: '' },
        ],
      },
      'folder-and-tgz',
    );
    expect(resolved.layerName).toBe('lamina-demo');
    const zipFile = path.join(dir, 'folder-and-tgz.zip');
    await writeDeterministicZip(built.rootDir, zipFile);
    const entries = Object.fromEntries((await listZip(zipFile)).map((e) => [e.name, e.mode & 0o777]));
    expect(entries).toMatchObject({ 'bin/hello': 0o755, 'share/data.txt': 0o644, 'etc/app/app.json': 0o644, 'etc/app/nested/run.sh': 0o755 });
    expect(await fs.readFile(path.join(built.rootDir, 'etc/app/app.json'), 'utf8')).toBe('{"a":1}\n');
    expect(execFileSync(path.join(built.rootDir, 'bin/hello')).toString()).toBe('hello\n');
  });

  it('extracts a zip with a shared library for x86_64 and checks it against the runtimes\' glibc', async () => {
    const { built } = await buildOf({ sources: [{ url: `${server.url}/lib.zip`, sha256: sha(zipBytes), to: 'lib' }], architectures: ['x86_64'], runtimes: ['nodejs22.x', 'python3.12'] }, 'zip');
    expect((await fs.stat(path.join(built.rootDir, 'lib/libdemo.so.1'))).mode & 0o111).toBeTruthy();
    expect(built.manifest).toMatchObject({ nativeFiles: 1 });
  });

  it('fails a native file for the wrong target: an x86_64 library in an arm64 layer, or in a layer listing both', async () => {
    await expect(buildOf({ sources: [{ url: `${server.url}/arm.zip`, sha256: sha(zipBytes), to: 'lib' }], architectures: ['arm64'] }, 'wrong-arch')).rejects.toThrow(
      /files layer lamina-demo: native code that cannot load on any runtime arm64: lib\/libdemo\.so\.1 is built for x86_64, not arm64/,
    );
    await expect(buildOf({ sources: [{ url: `${server.url}/arm.zip`, sha256: sha(zipBytes), to: 'lib' }] }, 'both-arch')).rejects.toThrow(
      /holds native files \(lib\/libdemo\.so\.1: x86_64\) but lists x86_64 and arm64; list only the architecture they are built for/,
    );
  });

  (hasXz ? it : it.skip)('extracts a tar.xz in-process', async () => {
    const { built } = await buildOf({ sources: [{ url: `${server.url}/tool-1.0.tar.xz`, sha256: sha(xzBytes!), strip: 1, to: 'opt' }] }, 'xz');
    expect(await fs.readFile(path.join(built.rootDir, 'opt/share/data.txt'), 'utf8')).toBe('data\n');
    expect((await fs.stat(path.join(built.rootDir, 'opt/bin/hello'))).mode & 0o111).toBeTruthy();
  });

  it('fails an archive whose sha256 is wrong, naming the url; nothing is laid out', async () => {
    const wrong = sha(Buffer.from('something else'));
    const attempt = buildOf({ sources: [{ url: `${server.url}/tool-1.0.tar.gz`, sha256: wrong }] }, 'wrong-sha');
    await expect(attempt).rejects.toThrow(/files layer lamina-demo: sources\[0\]: checksum mismatch for http:\/\/127\.0\.0\.1:\d+\/tool-1\.0\.tar\.gz.*check the url and its sha256/);
    expect(existsSync(path.join(dir, 'work/wrong-sha/layer/bin'))).toBe(false);
  });

  it('fails an archive without sha256 at resolve, before anything is downloaded', async () => {
    const before = server.requests.length;
    await expect(filesKind.resolve(targetOf({ sources: [{ url: `${server.url}/tool-1.0.tar.gz` }] }), await ctxFor('no-sha'))).rejects.toThrow(
      /files layer lamina-demo: sources\[0\]: http:\/\/127\.0\.0\.1:\d+\/tool-1\.0\.tar\.gz has no sha256; .*add sha256/,
    );
    expect(server.requests.length).toBe(before);
  });

  it('refuses archives escaping their folder (a climbing name, a link out) before writing anything', async () => {
    await expect(buildOf({ sources: [{ url: `${server.url}/escaping.tar.gz`, sha256: sha(escaping), to: 'data' }] }, 'escape')).rejects.toThrow(
      /entry "\.\.\/\.\.\/escaped\.txt" would be written outside/,
    );
    expect(existsSync(path.join(dir, 'work/escape/ok.txt'))).toBe(false);
    expect(existsSync(path.join(dir, 'work/escaped.txt'))).toBe(false);
    await expect(buildOf({ sources: [{ url: `${server.url}/link-out.tgz`, sha256: sha(linkOut) }] }, 'link')).rejects.toThrow(/link lib\/evil -> \.\.\/\.\.\/\.\.\/etc\/passwd points outside/);
  });

  it('refuses a folder that does not exist and a `to` that climbs out', async () => {
    await expect(filesKind.resolve(targetOf({ sources: [{ folder: 'nope' }] }), await ctxFor('missing'))).rejects.toThrow(/folder nope does not exist beside the catalog/);
    expect(() => targetOf({ sources: [{ folder: 'config', to: '../up' }] })).toThrow(/to is a relative folder of the layer/);
  });
});
