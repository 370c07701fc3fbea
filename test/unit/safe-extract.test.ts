import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DuplicateZipEntryError, extractZip, listZip } from '../../functions/archive/extract-zip';
import { resolveInside } from '../../functions/archive/safe-path';
import { writeZip, type ZipInput } from '../support/zip-writer';

describe('safe extraction', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lamina-extract-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function rawZip(entries: ZipInput[]): Promise<string> {
    const file = path.join(dir, `fixture-${Math.random().toString(36).slice(2)}.zip`);
    await writeZip(file, entries);
    return file;
  }

  it('resolves names inside the folder and refuses any that climb out', () => {
    expect(resolveInside('/opt/x', 'a/b/../c')).toBe('/opt/x/a/c');
    expect(() => resolveInside('/opt/x', '../y')).toThrow(/outside/);
    expect(() => resolveInside('/opt/x', 'a/../../y')).toThrow(/outside/);
    expect(() => resolveInside('/opt/x', '/etc/passwd')).toThrow(/absolute/);
    expect(() => resolveInside('/opt/x', 'C:\\windows')).toThrow(/absolute/);
    expect(() => resolveInside('/opt/x', '..\\..\\y')).toThrow(/outside/);
  });

  it('extracts a good archive', async () => {
    const files = await extractZip(await rawZip([{ name: 'python/ok.py', data: 'x = 1\n' }]), path.join(dir, 'out'));
    expect(files).toEqual(['python/ok.py']);
  });

  it('refuses an entry that escapes, before writing it', async () => {
    const zip = await rawZip([{ name: '../evil.txt', data: 'gotcha' }]);
    await expect(extractZip(zip, path.join(dir, 'out'), { label: 'evil.zip' })).rejects.toThrow(/evil.zip: .*\.\.\/evil.txt.*outside the target folder/);
    expect((await readdir(dir)).filter((name) => !name.endsWith('.zip'))).toEqual(['out']);
  });

  it('refuses a link that points outside the folder', async () => {
    const zip = await rawZip([{ name: 'lib/link', data: '../../../etc/passwd', mode: 0o120777 }]);
    await expect(extractZip(zip, path.join(dir, 'out'))).rejects.toThrow(/points outside/);
  });

  it('refuses a zip with two entries for one path, whichever way the path is spelled', async () => {
    for (const [first, second] of [['bootstrap', 'bootstrap'], ['lib/', 'lib'], ['./bin/tool', 'bin/tool']]) {
      const zip = await rawZip([{ name: first, data: 'echo one' }, { name: second, data: 'echo two' }]);
      const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}`);
      await expect(extractZip(zip, out, { label: 'layer.zip' })).rejects.toThrow(`layer.zip has two entries for ${JSON.stringify(second)}`);
      await expect(listZip(zip)).rejects.toBeInstanceOf(DuplicateZipEntryError);
    }
  });
});
