import { chmod, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { writeDeterministicZip } from '../../functions/archive/deterministic-zip';
import { extractZip, listZip } from '../../functions/archive/extract-zip';

describe('deterministic zip', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lamina-zip-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function tree(root: string, order: string[]) {
    for (const name of order) {
      await mkdir(path.dirname(path.join(root, name)), { recursive: true });
      await writeFile(path.join(root, name), `content of ${name}\n`);
    }
    await chmod(path.join(root, 'bootstrap'), 0o700);
  }

  it('gives the same bytes for the same tree, whatever the timestamps and creation order', async () => {
    await tree(path.join(dir, 'a'), ['bootstrap', 'bin/tool', 'lib/x.so']);
    await tree(path.join(dir, 'b'), ['lib/x.so', 'bin/tool', 'bootstrap']);
    await utimes(path.join(dir, 'b', 'bin', 'tool'), new Date('2001-02-03'), new Date('2001-02-03'));
    const first = await writeDeterministicZip(path.join(dir, 'a'), path.join(dir, 'a.zip'));
    const second = await writeDeterministicZip(path.join(dir, 'b'), path.join(dir, 'b.zip'));
    expect(second.sha256).toBe(first.sha256);
    expect(await readFile(path.join(dir, 'a.zip'))).toEqual(await readFile(path.join(dir, 'b.zip')));
    const bytes = await readFile(path.join(dir, 'a.zip'));
    expect(first.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(first.codeSha256).toBe(createHash('sha256').update(bytes).digest('base64'));
    expect(first.size).toBe(bytes.length);
  });

  it('changes the hash when a mode or the content changes', async () => {
    await tree(path.join(dir, 'a'), ['bootstrap', 'bin/tool']);
    const base = await writeDeterministicZip(path.join(dir, 'a'), path.join(dir, '1.zip'));
    await chmod(path.join(dir, 'a', 'bin', 'tool'), 0o755);
    const mode = await writeDeterministicZip(path.join(dir, 'a'), path.join(dir, '2.zip'));
    await writeFile(path.join(dir, 'a', 'bin', 'tool'), 'other');
    const content = await writeDeterministicZip(path.join(dir, 'a'), path.join(dir, '3.zip'));
    expect(new Set([base.sha256, mode.sha256, content.sha256]).size).toBe(3);
  });

  it('stores sorted entries with normalized modes and a fixed date', async () => {
    await tree(path.join(dir, 'a'), ['bootstrap', 'python/b.py', 'python/a.py']);
    await chmod(path.join(dir, 'a', 'python', 'a.py'), 0o600);
    const zip = await writeDeterministicZip(path.join(dir, 'a'), path.join(dir, 'a.zip'));
    const entries = await listZip(zip.path);
    expect(entries.map((entry) => entry.name)).toEqual(['bootstrap', 'python/', 'python/a.py', 'python/b.py']);
    expect(entries.map((entry) => (entry.mode & 0o777).toString(8))).toEqual(['755', '755', '644', '644']);
    expect(zip.unzippedSize).toBe(entries.reduce((sum, entry) => sum + entry.uncompressedSize, 0));
    const out = path.join(dir, 'out');
    await extractZip(zip.path, out);
    expect(await readFile(path.join(out, 'python', 'b.py'), 'utf8')).toBe('content of python/b.py\n');
  });

  it('stores a link inside the layer as the file it names, and refuses one pointing outside', async () => {
    await tree(path.join(dir, 'a'), ['bootstrap', 'bin/real']);
    await symlink('real', path.join(dir, 'a', 'bin', 'alias'));
    const zip = await writeDeterministicZip(path.join(dir, 'a'), path.join(dir, 'a.zip'));
    expect((await listZip(zip.path)).find((entry) => entry.name === 'bin/alias')?.uncompressedSize).toBe('content of bin/real\n'.length);
    await symlink('/etc/passwd', path.join(dir, 'a', 'bin', 'escape'));
    await expect(writeDeterministicZip(path.join(dir, 'a'), path.join(dir, 'b.zip'))).rejects.toThrow(/points outside the layer/);
  });

  it('refuses an empty layer', async () => {
    await mkdir(path.join(dir, 'empty', 'python'), { recursive: true });
    await expect(writeDeterministicZip(path.join(dir, 'empty'), path.join(dir, 'e.zip'))).rejects.toThrow(/empty/);
  });
});
