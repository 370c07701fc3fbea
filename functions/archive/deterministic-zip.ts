import archiver from 'archiver';
import { createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BuildError } from '../layers/kind';
import { digestFile, type Digest } from './digest';

/** Every entry gets this timestamp, so the bytes depend only on names, modes and content. */
export const ZIP_EPOCH = new Date('1980-01-01T00:00:00Z');

export interface ZipResult extends Digest {
  path: string;
  /** Sum of the uncompressed sizes: what the layer takes in /opt. */
  unzippedSize: number;
  entries: number;
}

interface Entry {
  name: string;
  absolute: string;
  kind: 'file' | 'dir';
  mode: number;
  size: number;
  /** Given to archiver so it queues the file in our order instead of after an asynchronous stat of its own. */
  stats?: import('node:fs').Stats;
}

/** Files keep only "executable or not": 0755 or 0644; folders are 0755. */
export function normalizedMode(kind: Entry['kind'], mode: number): number {
  if (kind === 'dir') return 0o755;
  return mode & 0o111 ? 0o755 : 0o644;
}

async function collect(root: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  let linkDepth = 0;
  async function walk(dir: string): Promise<void> {
    const names = (await fs.readdir(dir)).sort();
    for (const name of names) {
      const absolute = path.join(dir, name);
      const rel = path.relative(root, absolute).split(path.sep).join('/');
      const stat = await fs.lstat(absolute);
      if (stat.isSymbolicLink()) {
        const linkTarget = await fs.readlink(absolute);
        const resolved = path.resolve(path.dirname(absolute), linkTarget);
        if (path.isAbsolute(linkTarget) || !(resolved + path.sep).startsWith(path.resolve(root) + path.sep)) {
          throw new BuildError(`layer content: link ${rel} -> ${linkTarget} points outside the layer; replace it with the file it names`);
        }
        // Stored as the file it names, as `zip -r` does: archiver cannot give a link entry a fixed timestamp.
        const targetStat = await fs.stat(resolved);
        if (targetStat.isDirectory()) {
          entries.push({ name: `${rel}/`, absolute, kind: 'dir', mode: normalizedMode('dir', targetStat.mode), size: 0 });
          if (++linkDepth > 16) throw new BuildError(`layer content: too many nested links at ${rel}`);
          await walk(absolute);
          linkDepth--;
        } else {
          entries.push({ name: rel, absolute: resolved, kind: 'file', mode: normalizedMode('file', targetStat.mode), size: targetStat.size, stats: targetStat });
        }
      } else if (stat.isDirectory()) {
        entries.push({ name: `${rel}/`, absolute, kind: 'dir', mode: normalizedMode('dir', stat.mode), size: 0 });
        await walk(absolute);
      } else if (stat.isFile()) {
        entries.push({ name: rel, absolute, kind: 'file', mode: normalizedMode('file', stat.mode), size: stat.size, stats: stat });
      }
    }
  }
  await walk(root);
  // Byte order, not locale order: the same on every machine.
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Zips the content of `rootDir` into `outFile` deterministically: sorted entries, fixed timestamps, normalized
 * modes, fixed compression level. The same tree always gives the same bytes, hence the same CodeSha256.
 */
export async function writeDeterministicZip(rootDir: string, outFile: string): Promise<ZipResult> {
  const entries = await collect(rootDir);
  if (!entries.some((entry) => entry.kind === 'file')) {
    throw new BuildError(`layer content at ${rootDir} is empty; a layer needs at least one file`);
  }
  await fs.mkdir(path.dirname(outFile), { recursive: true });
  const output = createWriteStream(outFile);
  const archive = archiver('zip', { zlib: { level: 9 }, forceLocalTime: false });
  const done = new Promise<void>((resolve, reject) => {
    output.on('close', () => resolve());
    output.on('error', reject);
    archive.on('error', reject);
    archive.on('warning', reject);
  });
  archive.pipe(output);
  for (const entry of entries) {
    const data = { name: entry.name, date: ZIP_EPOCH, mode: entry.mode };
    if (entry.kind === 'dir') archive.append(Buffer.alloc(0), data);
    else archive.file(entry.absolute, { ...data, stats: entry.stats });
  }
  await archive.finalize();
  await done;
  const digest = await digestFile(outFile);
  return {
    ...digest,
    path: outFile,
    unzippedSize: entries.reduce((sum, entry) => sum + entry.size, 0),
    entries: entries.length,
  };
}
