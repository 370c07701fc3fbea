import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import * as yauzl from 'yauzl';
import { writeDeterministicZip } from '../../functions/archive/deterministic-zip';
import { extractZip } from '../../functions/archive/extract-zip';
import type { RawZipEntry } from '../../functions/archive/raw-entry';
import { writeZip } from '../support/zip-writer';

/** Each entry's method and compressed bytes, read without inflating. */
function rawEntriesOf(file: string): Promise<Map<string, { method: number; data: Buffer }>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error);
      const found = new Map<string, { method: number; data: Buffer }>();
      zip.on('error', reject);
      zip.on('end', () => resolve(found));
      zip.on('entry', (entry: yauzl.Entry) => {
        const options = (entry.isCompressed() ? { decompress: false } : {}) as yauzl.ZipFileOptions;
        zip.openReadStream(entry, options, (err, stream) => {
          if (err || !stream) return reject(err);
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', reject);
          stream.on('end', () => {
            found.set(entry.fileName, { method: entry.compressionMethod, data: Buffer.concat(chunks) });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

const SOURCE = 'def f(x):\n    return x * 2\n'.repeat(400);

/** Varied text, on which zlib levels 6 (the wheel's) and 9 (lamina's) give different bytes. */
function words(count: number): string {
  const vocabulary = ['alpha', 'beta', 'gamma', 'delta', 'import', 'return', 'self', 'value', 'lambda', 'layer', 'zip', 'wheel'];
  let x = 12345;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.push(vocabulary[x % vocabulary.length] + (x % 7 === 0 ? '\n' : ''));
  }
  return out.join(' ');
}
const WORDS = words(20000);

describe('deterministic zip with raw entries from a wheel', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lamina-zip-raw-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** A "wheel" (deflated at level 6, or stored) extracted into <dir>/layer/python, with where each file came from. */
  async function installed(compress: boolean): Promise<{ wheel: string; root: string; raw: RawZipEntry[] }> {
    const wheel = path.join(dir, compress ? 'deflated.whl' : 'stored.whl');
    await writeZip(
      wheel,
      [
        { name: 'pkg/__init__.py', data: SOURCE },
        { name: 'pkg/other.py', data: SOURCE.toUpperCase() },
        { name: 'pkg/alias', data: 'other.py', mode: 0o120777 },
        { name: 'pkg/words.txt', data: WORDS },
        { name: 'pkg-1.0.dist-info/METADATA', data: `Name: pkg\nVersion: 1.0\n${'Classifier: Programming Language :: Python\n'.repeat(20)}` },
      ],
      compress,
    );
    const root = path.join(dir, 'layer');
    const raw: RawZipEntry[] = [];
    await extractZip(wheel, path.join(root, 'python'), { onFile: (entry) => raw.push({ ...entry, name: `python/${entry.name}` }) });
    return { wheel, root, raw };
  }

  it('copies the wheel entries as they are, and extracts to the same files', async () => {
    const { wheel, root, raw } = await installed(true);
    expect(raw.map((r) => r.name).sort()).toEqual(['python/pkg-1.0.dist-info/METADATA', 'python/pkg/__init__.py', 'python/pkg/other.py', 'python/pkg/words.txt']);
    expect(deflateRawSync(WORDS, { level: 6 })).not.toEqual(deflateRawSync(WORDS, { level: 9 }));
    const zip = await writeDeterministicZip(root, path.join(dir, 'layer.zip'), { rawEntries: raw });
    const inWheel = await rawEntriesOf(wheel);
    const inLayer = await rawEntriesOf(zip.path);
    for (const name of ['pkg/__init__.py', 'pkg/other.py', 'pkg/words.txt', 'pkg-1.0.dist-info/METADATA']) {
      expect(inLayer.get(`python/${name}`)).toEqual(inWheel.get(name));
    }
    const out = path.join(dir, 'out');
    await extractZip(zip.path, out);
    expect(await readFile(path.join(out, 'python', 'pkg', '__init__.py'), 'utf8')).toBe(SOURCE);
    expect(await readFile(path.join(out, 'python', 'pkg', 'alias'), 'utf8')).toBe(SOURCE.toUpperCase());
    const again = await writeDeterministicZip(root, path.join(dir, 'again.zip'), { rawEntries: [...raw].reverse() });
    expect(again.sha256).toBe(zip.sha256);
    expect(zip.sha256).not.toBe((await writeDeterministicZip(root, path.join(dir, 'own.zip'))).sha256);
  });

  it('deflates a file itself when it no longer matches its wheel entry (same size or not)', async () => {
    const { root, raw } = await installed(false);
    // Stored in the wheel: a reused entry stays stored, one lamina compresses itself is deflated.
    await writeFile(path.join(root, 'python', 'pkg', '__init__.py'), SOURCE.replace('def', 'fed'));
    await writeFile(path.join(root, 'python', 'pkg', 'other.py'), 'shorter\n'.repeat(100));
    const zip = await writeDeterministicZip(root, path.join(dir, 'layer.zip'), { rawEntries: raw });
    const inLayer = await rawEntriesOf(zip.path);
    expect(inLayer.get('python/pkg-1.0.dist-info/METADATA')?.method).toBe(0);
    expect(inLayer.get('python/pkg/__init__.py')?.method).toBe(8);
    expect(inLayer.get('python/pkg/other.py')?.method).toBe(8);
    const out = path.join(dir, 'out');
    await extractZip(zip.path, out);
    expect(await readFile(path.join(out, 'python', 'pkg', '__init__.py'), 'utf8')).toBe(SOURCE.replace('def', 'fed'));
    expect(await readFile(path.join(out, 'python', 'pkg', 'other.py'), 'utf8')).toBe('shorter\n'.repeat(100));
  });

  it('ignores raw entries whose crc, method or source does not hold up', async () => {
    const { root, raw } = await installed(false);
    const init = raw.find((r) => r.name === 'python/pkg/__init__.py')!;
    const other = raw.find((r) => r.name === 'python/pkg/other.py')!;
    const meta = raw.find((r) => r.name.endsWith('METADATA'))!;
    const broken: RawZipEntry[] = [
      { ...init, crc32: (init.crc32 + 1) >>> 0 },
      { ...other, source: path.join(dir, 'gone.whl') },
      { ...meta, method: 12 },
    ];
    const zip = await writeDeterministicZip(root, path.join(dir, 'layer.zip'), { rawEntries: broken });
    const inLayer = await rawEntriesOf(zip.path);
    expect([...inLayer.values()].filter((e) => e.data.length > 0).map((e) => e.method)).toEqual([8, 8, 8, 8, 8]);
    expect(zip.sha256).toBe((await writeDeterministicZip(root, path.join(dir, 'own.zip'))).sha256);
  });
});
