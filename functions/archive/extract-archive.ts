import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { XzReadableStream } from 'xz-decompress';
import { BuildError } from '../layers/kind';
import { extractTar } from './extract-tar';
import { extractZip } from './extract-zip';

export type ArchiveFormat = 'tar.gz' | 'tar.xz' | 'zip';

/** The format a file name or URL path names by its ending, or undefined. */
export function archiveFormatOf(name: string): ArchiveFormat | undefined {
  if (/\.(tar\.gz|tgz)$/i.test(name)) return 'tar.gz';
  if (/\.(tar\.xz|txz)$/i.test(name)) return 'tar.xz';
  if (/\.zip$/i.test(name)) return 'zip';
  return undefined;
}

export interface ArchiveExtractOptions {
  format: ArchiveFormat;
  /** Leading path components to drop from every entry, as `tar --strip-components`. */
  strip?: number;
  label?: string;
}

/**
 * Extracts a tar.gz, tar.xz or zip into `dest` with lamina's safe extraction: every entry is checked before it is
 * written (no absolute or climbing names, no link leaving `dest`, only files, folders and links), modes' executable
 * bits kept. Returns the names written. tar.xz is decoded in-process (WebAssembly), so no `xz` binary is needed.
 */
export async function extractArchive(file: string, dest: string, options: ArchiveExtractOptions): Promise<string[]> {
  const label = options.label ?? path.basename(file);
  const strip = options.strip ?? 0;
  if (options.format === 'zip') {
    const written = await extractZip(file, dest, {
      label,
      rename: (name) => {
        const rest = name.split('/').slice(strip).join('/');
        return rest === '' ? null : rest;
      },
    });
    return written;
  }
  if (options.format === 'tar.xz') {
    const tarFile = `${file}.${process.pid}.${Date.now()}.tar`;
    try {
      const xz = new XzReadableStream(Readable.toWeb(createReadStream(file)) as unknown as ReadableStream<Uint8Array>);
      await pipeline(Readable.fromWeb(xz as unknown as WebReadableStream), createWriteStream(tarFile));
    } catch (error) {
      await fs.rm(tarFile, { force: true });
      throw new BuildError(`${label}: not a readable xz file: ${(error as Error).message}`);
    }
    try {
      return await extractTar(tarFile, dest, { label, strip });
    } finally {
      await fs.rm(tarFile, { force: true });
    }
  }
  return extractTar(file, dest, { label, strip });
}
