import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { GroupCommit } from './group-commit';

/**
 * State kept on disk as a snapshot plus an append-only journal of keyed changes, so that what a mutation costs on
 * disk is the size of its change, not of the whole state (the emulators used to rewrite their whole file per write,
 * quadratic in the catalog's size).
 *
 * - `<name>.json`: the snapshot, in whatever shape the caller reads and writes (so a state folder written before the
 *   journal existed loads unchanged: its file is the snapshot).
 * - `<name>.journal.jsonl`: one line per change since the snapshot, `{"k":key,"v":value}`, or `{"k":key}` for a
 *   deletion. Replayed in order on open. A line counts only once its newline is written: a crash mid-append leaves
 *   at most a torn last line, which open ignores and cuts off.
 * - Compaction, once the journal outgrows the snapshot: the whole state is written beside the snapshot and renamed
 *   over it, then the journal starts empty. A crash between the two replays the old journal over the new snapshot,
 *   which gives the same state, because each change sets a key's whole value.
 *
 * The caller owns the state in memory; the journal only tells it what to load and apply on open, and writes what
 * it is told. `record` resolves once the change is on disk (written, as the old whole-file writes were, not fsynced:
 * a killed process loses nothing, a power cut may lose the last writes); changes recorded while a write is under
 * way go out together in the next one.
 */

export interface JournalCodec<V> {
  /** Loads the snapshot's parsed JSON into the caller's state (not called when there is no snapshot yet). */
  load(snapshot: unknown): void;
  /** Applies one change read back from the journal: the key's new value, or undefined when it was deleted. */
  apply(key: string, value: V | undefined): void;
  /** The whole state, in the shape `load` reads back. */
  snapshot(): unknown;
}

export interface JournalOptions {
  /** Names the state in errors, e.g. "Lambda emulator state file". */
  label: string;
  /** The journal is compacted once it is over this size and over the snapshot's (default 64 KiB). */
  minCompactBytes?: number;
}

/** Byte counts, so tests can check that a change costs its own size. */
export interface JournalStats {
  snapshotBytes: number;
  journalBytes: number;
  /** Everything written since open: journal lines and snapshots. */
  bytesWritten: number;
  compactions: number;
  /** Journal writes (each carries one or more changes). */
  appends: number;
}

/** Where the journal of snapshot `file` lives: `regions/eu-west-1.json` → `regions/eu-west-1.journal.jsonl`. */
export const journalFileOf = (file: string) => `${file.replace(/\.json$/, '')}.journal.jsonl`;

/** Writes `text` beside `file` and renames it over, so a crash never leaves half a file. */
export async function writeFileAtomically(file: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await fs.writeFile(partial, text);
  await fs.rename(partial, file);
}

async function readIfThere(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

const NEWLINE = 0x0a;

export class Journal<V> {
  readonly journalFile: string;
  private handle: fs.FileHandle | undefined;
  // Changes recorded in the same turn of the event loop go out in one write; the journal compacts between writes.
  private readonly commits = new GroupCommit((text) => this.append(Buffer.from(text)), { afterBatch: () => this.compactIfLarge(), startAtOnce: false });
  private closed = false;
  private readonly minCompactBytes: number;
  private readonly counts: JournalStats;

  private constructor(
    readonly file: string,
    private readonly codec: JournalCodec<V>,
    private readonly options: JournalOptions,
    snapshotBytes: number,
    journalBytes: number,
  ) {
    this.journalFile = journalFileOf(file);
    this.minCompactBytes = options.minCompactBytes ?? 65_536;
    this.counts = { snapshotBytes, journalBytes, bytesWritten: 0, compactions: 0, appends: 0 };
  }

  /**
   * Loads the snapshot `file` (if any) and replays its journal through `codec`. A snapshot that is not JSON, or a
   * journal line before the last that is not a change, is an error naming the file and what to do.
   */
  static async open<V>(file: string, codec: JournalCodec<V>, options: JournalOptions): Promise<Journal<V>> {
    const snapshot = await readIfThere(file);
    if (snapshot) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(snapshot.toString('utf8'));
      } catch (error) {
        throw new Error(`${options.label} ${file} is not valid JSON (${(error as Error).message}); fix or delete it.`);
      }
      codec.load(parsed);
    }
    const journalFile = journalFileOf(file);
    const journal = (await readIfThere(journalFile)) ?? Buffer.alloc(0);
    const complete = journal.lastIndexOf(NEWLINE) + 1;
    let start = 0;
    for (let lineNumber = 1; start < complete; lineNumber += 1) {
      const end = journal.indexOf(NEWLINE, start);
      const text = journal.toString('utf8', start, end);
      start = end + 1;
      let change: unknown;
      let why = 'not a {"k": key, "v": value} change';
      try {
        change = JSON.parse(text);
      } catch (error) {
        why = (error as Error).message;
      }
      if (!isChange<V>(change)) {
        throw new Error(
          `${options.label} journal ${journalFile} line ${lineNumber} is not valid (${why}); fix or delete that line, or delete the journal to go back to the snapshot ${file} (losing the changes made since).`,
        );
      }
      codec.apply(change.k, 'v' in change ? change.v : undefined);
    }
    // A torn last line (the process died mid-append) never became a change: cut it off, so the next append does
    // not glue a good line onto it.
    if (complete < journal.length) await fs.truncate(journalFile, complete);
    return new Journal(file, codec, options, snapshot?.length ?? 0, complete);
  }

  get stats(): JournalStats {
    return { ...this.counts };
  }

  /** Records that `key` now holds `value` (undefined: deleted); resolves once that is on disk. */
  record(key: string, value: V | undefined): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.options.label} ${this.file} is closed.`));
    // Serialized now: the caller may go on changing the object it passed.
    const line = `${JSON.stringify(value === undefined ? { k: key } : { k: key, v: value })}\n`;
    return this.commits.add(line);
  }

  /** Resolves once every change recorded so far is on disk. */
  flush(): Promise<void> {
    return this.commits.idle();
  }

  /** Writes what is pending and closes the journal; later `record` calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    await this.handle?.close();
    this.handle = undefined;
  }

  private async compactIfLarge(): Promise<void> {
    if (this.counts.journalBytes <= Math.max(this.counts.snapshotBytes, this.minCompactBytes)) return;
    try {
      await this.compact();
    } catch {
      // The journal still holds every change: the state is whole, only bigger; the next batch tries again.
    }
  }

  private async append(data: Buffer): Promise<void> {
    if (!this.handle) {
      await fs.mkdir(path.dirname(this.journalFile), { recursive: true });
      this.handle = await fs.open(this.journalFile, 'a');
    }
    for (let offset = 0; offset < data.length; ) offset += (await this.handle.write(data, offset)).bytesWritten;
    this.counts.journalBytes += data.length;
    this.counts.bytesWritten += data.length;
    this.counts.appends += 1;
  }

  private async compact(): Promise<void> {
    // The snapshot is the state as of now, which includes changes recorded but not yet written: write those to
    // the old journal first, so that journal and snapshot agree if the process dies before the journal is emptied.
    const text = JSON.stringify(this.codec.snapshot());
    await this.commits.writePending();
    await writeFileAtomically(this.file, text);
    const size = Buffer.byteLength(text);
    this.counts.bytesWritten += size;
    this.counts.snapshotBytes = size;
    if (this.handle) await this.handle.truncate(0);
    else await fs.truncate(this.journalFile, 0);
    this.counts.journalBytes = 0;
    this.counts.compactions += 1;
  }
}

function isChange<V>(value: unknown): value is { k: string; v?: V } {
  return typeof value === 'object' && value !== null && typeof (value as { k?: unknown }).k === 'string';
}
