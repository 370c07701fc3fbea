import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { extractZip } from '../../functions/archive/extract-zip';
import { resolveInside } from '../../functions/archive/safe-path';

/** A minimal stored (uncompressed) zip with arbitrary entry names and unix modes, written by hand. */
function rawZip(entries: { name: string; data: string; mode?: number }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    const data = Buffer.from(entry.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x031e, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((entry.mode ?? 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const centralSize = centrals.reduce((sum, part) => sum + part.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

describe('safe extraction', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lamina-extract-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('resolves names inside the folder and refuses any that climb out', () => {
    expect(resolveInside('/opt/x', 'a/b/../c')).toBe('/opt/x/a/c');
    expect(() => resolveInside('/opt/x', '../y')).toThrow(/outside/);
    expect(() => resolveInside('/opt/x', 'a/../../y')).toThrow(/outside/);
    expect(() => resolveInside('/opt/x', '/etc/passwd')).toThrow(/absolute/);
    expect(() => resolveInside('/opt/x', 'C:\\windows')).toThrow(/absolute/);
    expect(() => resolveInside('/opt/x', '..\\..\\y')).toThrow(/outside/);
  });

  it('extracts a good archive', async () => {
    const files = await extractZip(rawZip([{ name: 'python/ok.py', data: 'x = 1\n' }]), path.join(dir, 'out'));
    expect(files).toEqual(['python/ok.py']);
  });

  it('refuses an entry that escapes, before writing it', async () => {
    const zip = rawZip([{ name: '../evil.txt', data: 'gotcha' }]);
    await expect(extractZip(zip, path.join(dir, 'out'), { label: 'evil.zip' })).rejects.toThrow(/evil.zip: .*\.\.\/evil.txt.*outside the target folder/);
    expect(await readdir(dir)).not.toContain('evil.txt');
  });

  it('refuses a link that points outside the folder', async () => {
    const zip = rawZip([{ name: 'lib/link', data: '../../../etc/passwd', mode: 0o120777 }]);
    await expect(extractZip(zip, path.join(dir, 'out'))).rejects.toThrow(/points outside/);
  });
});
