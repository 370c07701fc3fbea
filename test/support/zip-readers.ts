import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { extractZip, listZip } from '../../functions/archive/extract-zip';

/** Whether a command runs (readers the suite uses when the machine has them). */
export function available(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks a zip with every reader the suite uses: Python's zipfile (testzip: every crc), `unzip -t`, and yauzl
 * (extraction into `outDir`, then a crc of every file against the central directory). Returns zipinfo's listing
 * ('' without Info-ZIP) for checks of modes. A missing tool is said, not failed.
 */
export async function expectReadersAccept(zipFile: string, outDir: string): Promise<string> {
  const names = (await listZip(zipFile)).map((e) => e.name);
  if (available('python3', ['--version'])) {
    const script = 'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(len(z.infolist()))';
    expect(Number(execFileSync('python3', ['-c', script, zipFile], { encoding: 'utf8' }).trim())).toBe(names.length);
  } else console.warn('python3 missing: the python zipfile reader is not checked');
  let listing = '';
  if (available('unzip', ['-v'])) {
    expect(execFileSync('unzip', ['-t', zipFile], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })).toMatch(/No errors detected/);
    listing = execFileSync('zipinfo', [zipFile], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  } else console.warn('unzip missing: unzip -t and zipinfo are not checked (apt-get install unzip)');
  // yauzl checks sizes; extraction through it and a crc of every file checks the bytes.
  const files = await extractZip(zipFile, outDir);
  const crcs = new Map((await listZip(zipFile)).map((e) => [e.name, e.crc32]));
  for (const file of files) expect([file, zlib.crc32(await fs.readFile(path.join(outDir, file)))]).toEqual([file, crcs.get(file)]);
  return listing;
}
