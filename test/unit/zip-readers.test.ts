import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeDeterministicZip } from '../../functions/archive/deterministic-zip';
import { extractZip, listZip } from '../../functions/archive/extract-zip';
import { METHOD_STORED, ZipWriter } from '../../functions/archive/zip-format';
import { available } from '../support/zip-readers';

/** Checks lamina's zip writer against readers that share no code with it: Info-ZIP and Python's zipfile. */

const hasUnzip = available('unzip', ['-v']) && available('zipinfo', ['-h']);
const hasPython = available('python3', ['-c', 'import zipfile']);
if (!hasUnzip) console.warn('zip-readers: unzip/zipinfo not on PATH; skipping the Info-ZIP checks');
if (!hasPython) console.warn('zip-readers: python3 not on PATH; skipping the zipfile checks');
const withUnzip = hasUnzip ? test : test.skip;
const withPython = hasPython ? test : test.skip;

/** What Python's zipfile reads: for each entry its name, host system, Unix mode, date, flags, method and size. */
function pythonView(zip: string): { name: string; system: number; mode: number; date: number[]; flags: number; method: number; size: number }[] {
  const script = [
    'import json, sys, zipfile',
    'with zipfile.ZipFile(sys.argv[1]) as z:',
    '    assert z.testzip() is None',
    '    print(json.dumps([{"name": i.filename, "system": i.create_system, "mode": i.external_attr >> 16, "date": list(i.date_time),',
    '        "flags": i.flag_bits, "method": i.compress_type, "size": len(z.read(i))} for i in z.infolist()]))',
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', script, zip], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
}

describe('zip writer against independent readers', () => {
  let dir: string;
  let root: string;
  const big = randomBytes(1024).toString('hex').repeat(1500); // 3 MB, compressible: streamed, not held in memory
  const noise = randomBytes(5000); // incompressible: stored

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lamina-zip-readers-'));
    root = path.join(dir, 'tree');
    await mkdir(path.join(root, 'python', 'pkg', 'empty-dir'), { recursive: true });
    await writeFile(path.join(root, 'bootstrap'), '#!/bin/sh\necho hi\n');
    await chmod(path.join(root, 'bootstrap'), 0o700);
    await writeFile(path.join(root, 'python', 'pkg', '__init__.py'), 'x = 1\n'.repeat(100));
    await writeFile(path.join(root, 'python', 'pkg', 'données é.py'), 'accent = "é"\n');
    await writeFile(path.join(root, 'python', 'pkg', 'empty.txt'), '');
    await writeFile(path.join(root, 'python', 'pkg', 'noise.bin'), noise);
    await writeFile(path.join(root, 'python', 'pkg', 'big.txt'), big);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const expected = () => ({
    bootstrap: { mode: 0o100755, size: 18 },
    'python/': { mode: 0o40755, size: 0 },
    'python/pkg/': { mode: 0o40755, size: 0 },
    'python/pkg/__init__.py': { mode: 0o100644, size: 600 },
    'python/pkg/big.txt': { mode: 0o100644, size: big.length },
    'python/pkg/données é.py': { mode: 0o100644, size: Buffer.byteLength('accent = "é"\n') },
    'python/pkg/empty-dir/': { mode: 0o40755, size: 0 },
    'python/pkg/empty.txt': { mode: 0o100644, size: 0 },
    'python/pkg/noise.bin': { mode: 0o100644, size: noise.length },
  });

  for (const forceZip64 of [false, true]) {
    const label = forceZip64 ? ' (ZIP64 records forced)' : '';

    withPython(`Python's zipfile reads names, Unix modes, the 1980 date, the UTF-8 flag and the content${label}`, async () => {
      const zip = await writeDeterministicZip(root, path.join(dir, `py-${forceZip64}.zip`), { writer: { forceZip64 } });
      const view = pythonView(zip.path);
      expect(Object.fromEntries(view.map((e) => [e.name, { mode: e.mode, size: e.size }]))).toEqual(expected());
      for (const entry of view) {
        expect(entry.system).toBe(3);
        expect(entry.date).toEqual([1980, 1, 1, 0, 0, 0]);
        expect(entry.flags & 0x800).toBe(/^[\x00-\x7f]*$/.test(entry.name) ? 0 : 0x800);
      }
      const byName = Object.fromEntries(view.map((e) => [e.name, e]));
      expect(byName['python/pkg/big.txt'].method).toBe(8);
      expect(byName['python/pkg/noise.bin'].method).toBe(0);
      execFileSync('python3', ['-m', 'zipfile', '-t', zip.path], { stdio: 'pipe' });
    });

    withUnzip(`unzip -t passes and zipinfo shows Unix modes and the fixed date${label}`, async () => {
      const zip = await writeDeterministicZip(root, path.join(dir, `unzip-${forceZip64}.zip`), { writer: { forceZip64 } });
      expect(execFileSync('unzip', ['-t', zip.path], { encoding: 'utf8' })).toMatch(/No errors detected/);
      const listing = execFileSync('zipinfo', [zip.path], { encoding: 'utf8' });
      expect(listing).toMatch(/-rwxr-xr-x\s+\S+\s+unx\s+18\s+\S+\s+\S+\s+80-Jan-01 00:00 bootstrap/);
      expect(listing).toMatch(/drwxr-xr-x\s+\S+\s+unx\s+0\s+\S+\s+\S+\s+80-Jan-01 00:00 python\/pkg\/empty-dir\//);
      expect(listing).toMatch(/-rw-r--r--\s+\S+\s+unx\s+3072000\s+\S+\s+def[NXFS]\s+80-Jan-01 00:00 python\/pkg\/big.txt/);
      const out = path.join(dir, `unzipped-${forceZip64}`);
      execFileSync('unzip', ['-q', zip.path, '-d', out]);
      expect(await readFile(path.join(out, 'python', 'pkg', 'big.txt'), 'utf8')).toBe(big);
      expect(await readFile(path.join(out, 'python', 'pkg', 'données é.py'), 'utf8')).toBe('accent = "é"\n');
    });

    test(`yauzl reads and extracts it${label}`, async () => {
      const zip = await writeDeterministicZip(root, path.join(dir, `yauzl-${forceZip64}.zip`), { writer: { forceZip64 } });
      const entries = await listZip(zip.path);
      expect(Object.fromEntries(entries.map((e) => [e.name, { mode: e.mode, size: e.uncompressedSize }]))).toEqual(expected());
      const out = path.join(dir, `extracted-${forceZip64}`);
      await extractZip(zip.path, out);
      expect(await readFile(path.join(out, 'python', 'pkg', 'noise.bin'))).toEqual(noise);
      expect(await readFile(path.join(out, 'python', 'pkg', 'big.txt'), 'utf8')).toBe(big);
    });
  }

  test('a streamed big file gives the same bytes as before and the sha256 of what is on disk', async () => {
    const a = await writeDeterministicZip(root, path.join(dir, 'same-a.zip'));
    const b = await writeDeterministicZip(root, path.join(dir, 'same-b.zip'));
    expect(b.sha256).toBe(a.sha256);
    expect(await readFile(b.path)).toEqual(await readFile(a.path));
  });

  test('more than 65,535 entries get ZIP64 end records that every reader follows', async () => {
    const file = path.join(dir, 'many.zip');
    const writer = await ZipWriter.create(file);
    const count = 70_000;
    for (let i = 0; i < count; i++) {
      await writer.addBuffer({ name: `f/${i}`, mode: 0o100644, method: METHOD_STORED, crc32: 0, compressedSize: 0, uncompressedSize: 0 }, Buffer.alloc(0));
    }
    await writer.finish();
    const bytes = await readFile(file);
    const end = bytes.subarray(bytes.length - 22);
    expect(end.readUInt32LE(0)).toBe(0x06054b50);
    expect(end.readUInt16LE(10)).toBe(0xffff);
    expect(bytes.readUInt32LE(bytes.length - 22 - 20)).toBe(0x07064b50);
    expect((await listZip(file)).length).toBe(count);
    if (hasPython) {
      const n = execFileSync('python3', ['-c', 'import sys, zipfile; print(len(zipfile.ZipFile(sys.argv[1]).infolist()))', file], { encoding: 'utf8' });
      expect(Number(n)).toBe(count);
    }
    if (hasUnzip) expect(execFileSync('unzip', ['-tqq', file], { encoding: 'utf8' })).toBe('');
  });
});
