import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { archivedEntriesOf } from '../archive/archived-entry';
import { writeDeterministicZip, type ZipResult } from '../archive/deterministic-zip';
import { extractZip } from '../archive/extract-zip';
import { BuildError } from '../layers/kind';

/**
 * A built layer zip under verification. A verifier that reads the zip itself (Python: its sources are compiled in
 * memory) never has it unzipped; the others get the tree, unzipped once, on first need. What verifiers add to the
 * layer (Python bytecode) is kept below `addedDir`, laid out as in the layer, and the verified zip is the built
 * zip's entries copied as they are (compressed bytes, crc, sizes) plus those files: nothing of the built zip is
 * inflated, written out or deflated again to seal it.
 */
export class LayerUnderVerification {
  readonly addedDir: string;
  private readonly treeDir: string;
  /** The zip's file names, once unzipped. */
  private unpacked?: Promise<Set<string>>;

  constructor(
    readonly zipFile: string,
    private readonly workDir: string,
  ) {
    this.addedDir = path.join(workDir, 'added');
    this.treeDir = path.join(workDir, 'layer');
  }

  /** The layer unzipped (what lands in /opt), for verifiers that need the tree. */
  async tree(): Promise<string> {
    this.unpacked ??= (async () => {
      const names = new Set<string>();
      await fs.rm(this.treeDir, { recursive: true, force: true });
      await extractZip(this.zipFile, this.treeDir, { label: path.basename(this.zipFile), onFile: (raw) => names.add(raw.name) });
      return names;
    })();
    await this.unpacked;
    return this.treeDir;
  }

  /** After a tree verifier reported changes: the files it wrote that the zip does not have move to addedDir. */
  async keepTreeAdditions(): Promise<void> {
    if (!this.unpacked) return;
    const known = await this.unpacked;
    const walk = async (prefix: string): Promise<void> => {
      for (const entry of await fs.readdir(path.join(this.treeDir, prefix), { withFileTypes: true })) {
        const name = prefix ? `${prefix}/${entry.name}` : entry.name;
        if (entry.isDirectory()) await walk(name);
        else if (entry.isFile() && !known.has(name)) {
          await fs.mkdir(path.dirname(path.join(this.addedDir, name)), { recursive: true });
          await fs.rename(path.join(this.treeDir, name), path.join(this.addedDir, name));
        }
      }
    };
    await walk('');
  }

  async dispose(): Promise<void> {
    await fs.rm(this.workDir, { recursive: true, force: true });
  }
}

/**
 * The zip to publish: the built zip's entries, copied as they are, with the files below `addedDir` (what Verify
 * added: Python bytecode; a file there replaces the built zip's entry of the same name). The same built zip and
 * added files always give the same bytes, wherever they were verified: the bytes the built zip's tree plus those
 * files would zip to. The 250 MB unzipped guard runs again on the result.
 */
export async function sealVerifiedZip(builtZip: string, addedDir: string, outFile: string, maxUnzippedBytes: number, layerName: string): Promise<ZipResult> {
  const zip = await writeDeterministicZip(addedDir, outFile, { archived: await archivedEntriesOf(builtZip) });
  if (zip.unzippedSize > maxUnzippedBytes) {
    await fs.rm(outFile, { force: true });
    throw new BuildError(
      `${layerName} is ${zip.unzippedSize} bytes unzipped once verified (with bytecode), over Lambda's limit of ${maxUnzippedBytes} bytes for a function and its layers; ` +
        `split it into smaller layers (the built zip ${path.basename(builtZip)} was within it)`,
    );
  }
  return zip;
}
