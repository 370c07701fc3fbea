import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { ArchiveSpool, heldInMemory } from '../archive/archive-spool';
import { ArchiveSources, archivedEntriesOf, type ArchivedEntry } from '../archive/archived-entry';
import { writeDeterministicZip, type ZipResult } from '../archive/deterministic-zip';
import { extractZip } from '../archive/extract-zip';
import { resolveInside } from '../archive/safe-path';
import { BuildError, type VerifyTarget } from '../layers/kind';

/**
 * A built layer zip under verification. A verifier that reads the zip itself (Python: its sources are compiled in
 * memory) never has it unzipped; the others get the tree, unzipped once, on first need. What a verification adds
 * to the layer (Python bytecode) is a "changes" zip of just those files, and the verified zip is the built zip's
 * entries copied as they are (compressed bytes, crc, sizes) plus those files: nothing of the built zip is inflated,
 * written out or deflated again to seal it, and no file is written per added file.
 */
export class LayerUnderVerification {
  /** The changes zips of the verifications that added files, in the order they ran. */
  readonly changes: string[] = [];
  private readonly treeDir: string;
  private unpacked?: Promise<void>;

  constructor(
    readonly zipFile: string,
    private readonly workDir: string,
  ) {
    this.treeDir = path.join(workDir, 'layer');
  }

  /** The layer unzipped (what lands in /opt), for verifiers that need the tree (and add nothing to it). */
  async tree(): Promise<string> {
    this.unpacked ??= (async () => {
      await fs.rm(this.treeDir, { recursive: true, force: true });
      await extractZip(this.zipFile, this.treeDir, { label: path.basename(this.zipFile) });
    })();
    await this.unpacked;
    return this.treeDir;
  }

  /** Where the verification of `check` leaves what it adds (a zip); `keepChanges` takes it once it added files. */
  async changesFileFor(check: VerifyTarget): Promise<string> {
    await fs.mkdir(this.workDir, { recursive: true });
    return path.join(this.workDir, `changes-${check.runtime}-${check.architecture}.zip`);
  }

  keepChanges(file: string): void {
    this.changes.push(file);
  }

  async dispose(): Promise<void> {
    await fs.rm(this.workDir, { recursive: true, force: true });
  }
}

/** Changes zips' entries this many at a time on the libuv pool, so that a big layer's bytecode is not all in memory at once. */
const IN_FLIGHT = 8;

/**
 * The files of the changes zips deflated into `spool` as the zip writer deflates a file of the tree (so the bytes
 * do not depend on how, or by which zlib, a changes zip was compressed), as archived entries.
 */
async function respooled(changes: readonly string[], spool: ArchiveSpool, scratchRoot: string): Promise<ArchivedEntry[]> {
  const files: ArchivedEntry[] = [];
  for (const file of changes) {
    for (const entry of await archivedEntriesOf(file)) {
      // The same refusals as unzipping it would apply: an added file lands inside the layer.
      resolveInside(scratchRoot, entry.name, `what Verify added (${path.basename(file)})`);
      if (!entry.name.endsWith('/')) files.push(entry);
    }
  }
  const sources = new ArchiveSources();
  const entries: ArchivedEntry[] = new Array(files.length);
  let next = 0;
  const lane = async () => {
    while (next < files.length) {
      const i = next++;
      const file = files[i];
      const data = sources.content(file);
      entries[i] = heldInMemory(data.length)
        ? await spool.addBuffer(file.name, file.executable, data)
        : await spool.addStream(file.name, file.executable, Readable.from([data]), data.length);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, files.length) }, lane));
  } finally {
    sources.close();
  }
  return entries;
}

/**
 * The zip to publish: the built zip's entries, copied as they are, with the files of the changes zips (what Verify
 * added: Python bytecode; an added file replaces the built zip's entry of the same name, an earlier changes zip's
 * file a later one's), deflated once into a spool and copied in order from there. The same built zip and added
 * files always give the same bytes, wherever they were verified: the bytes the built zip's tree plus those files
 * would zip to. The 250 MB unzipped guard runs again on the result.
 */
export async function sealVerifiedZip(builtZip: string, changes: readonly string[], outFile: string, maxUnzippedBytes: number, layerName: string): Promise<ZipResult> {
  await fs.mkdir(path.dirname(path.resolve(outFile)), { recursive: true });
  const scratch = await fs.mkdtemp(path.join(path.dirname(path.resolve(outFile)), '.seal-'));
  let zip: ZipResult;
  try {
    const spool = await ArchiveSpool.create(path.join(scratch, 'added.zip'));
    let added: ArchivedEntry[];
    try {
      added = await respooled(changes, spool, path.join(scratch, 'layer'));
      await spool.finish();
    } catch (error) {
      await spool.abort();
      throw error;
    }
    // Added entries first: of two entries with one name, the first is kept.
    zip = await writeDeterministicZip(path.join(scratch, 'nothing-else'), outFile, { archived: [...added, ...(await archivedEntriesOf(builtZip))] });
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
  if (zip.unzippedSize > maxUnzippedBytes) {
    await fs.rm(outFile, { force: true });
    throw new BuildError(
      `${layerName} is ${zip.unzippedSize} bytes unzipped once verified (with bytecode), over Lambda's limit of ${maxUnzippedBytes} bytes for a function and its layers; ` +
        `split it into smaller layers (the built zip ${path.basename(builtZip)} was within it)`,
    );
  }
  return zip;
}
