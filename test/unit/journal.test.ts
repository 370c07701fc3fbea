import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Journal, journalFileOf } from '../../local/state-folder/journal';

/** The simplest caller: a Map, with a snapshot that is a plain object. */
async function openMap(file: string, minCompactBytes?: number): Promise<{ state: Map<string, unknown>; journal: Journal<unknown> }> {
  const state = new Map<string, unknown>();
  const journal = await Journal.open<unknown>(
    file,
    {
      load: (snapshot) => {
        for (const [key, value] of Object.entries(snapshot as Record<string, unknown>)) state.set(key, value);
      },
      apply: (key, value) => (value === undefined ? state.delete(key) : state.set(key, value)),
      snapshot: () => Object.fromEntries(state),
    },
    { label: 'Test state file', minCompactBytes },
  );
  return { state, journal };
}

/** A change made as the emulators make them: in memory, then recorded. */
function change(opened: { state: Map<string, unknown>; journal: Journal<unknown> }, key: string, value: unknown): Promise<void> {
  if (value === undefined) opened.state.delete(key);
  else opened.state.set(key, value);
  return opened.journal.record(key, value);
}

/** A deterministic pseudo-random sequence, so a failure replays the same way. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

const size = async (file: string) => (await fs.stat(file).catch(() => ({ size: 0 }))).size;

describe('Journal (snapshot + append-only journal of keyed changes)', () => {
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lamina-journal-'));
    file = path.join(dir, 'state.json');
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('replays to the in-memory state after thousands of sets and deletes, across compactions', async () => {
    const opened = await openMap(file, 4096);
    const next = random(7);
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 5000; i += 1) {
      const key = `k${Math.floor(next() * 300)}`;
      // Some in the same turn (grouped), some after a write has gone out.
      writes.push(change(opened, key, next() < 0.2 ? undefined : { i, text: 'x'.repeat(Math.floor(next() * 50)) }));
      if (i % 97 === 0) await Promise.all(writes.splice(0));
    }
    await Promise.all(writes);
    expect(opened.journal.stats.compactions).toBeGreaterThan(3);
    const expected = Object.fromEntries([...opened.state].sort());
    await opened.journal.close();

    const reopened = await openMap(file, 4096);
    expect(Object.fromEntries([...reopened.state].sort())).toEqual(expected);
    expect(reopened.state.size).toBeGreaterThan(100);
    await reopened.journal.close();
  });

  it('has a change on disk when record resolves, and writes changes of one turn together', async () => {
    const opened = await openMap(file);
    await Promise.all(Array.from({ length: 100 }, (_, i) => change(opened, `k${i}`, i)));
    expect(opened.journal.stats.appends).toBe(1);
    const lines = (await fs.readFile(journalFileOf(file), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(100);
    expect(JSON.parse(lines[99])).toEqual({ k: 'k99', v: 99 });
    await change(opened, 'k5', undefined);
    expect((await fs.readFile(journalFileOf(file), 'utf8')).trim().split('\n').pop()).toBe('{"k":"k5"}');
    await opened.journal.close();
  });

  it('ignores a torn last line, cuts it off, and appends cleanly after it', async () => {
    const opened = await openMap(file);
    await change(opened, 'a', 1);
    await change(opened, 'b', { nested: true });
    await opened.journal.close();
    // The process died in the middle of writing a third change.
    await fs.appendFile(journalFileOf(file), '{"k":"c","v":{"par');
    const tornSize = await size(journalFileOf(file));

    const reopened = await openMap(file);
    expect(Object.fromEntries(reopened.state)).toEqual({ a: 1, b: { nested: true } });
    expect(await size(journalFileOf(file))).toBe(tornSize - '{"k":"c","v":{"par'.length);
    await change(reopened, 'c', 3);
    await reopened.journal.close();

    const again = await openMap(file);
    expect(Object.fromEntries(again.state)).toEqual({ a: 1, b: { nested: true }, c: 3 });
    await again.journal.close();
  });

  it('compacts: the state survives, the journal stays within the snapshot, the snapshot is the state', async () => {
    const opened = await openMap(file, 1024);
    for (let round = 0; round < 50; round += 1) {
      await Promise.all(Array.from({ length: 40 }, (_, i) => change(opened, `key-${i}`, { round, padding: 'y'.repeat(30) })));
      const { journalBytes, snapshotBytes } = opened.journal.stats;
      expect(await size(journalFileOf(file))).toBe(journalBytes);
      expect(await size(file)).toBe(snapshotBytes);
      // A batch's changes are on disk before the compaction it triggers: one batch (40 changes of under 80
      // bytes) over the bound at most.
      expect(journalBytes).toBeLessThanOrEqual(Math.max(snapshotBytes, 1024) + 40 * 80);
    }
    const stateBytes = Buffer.byteLength(JSON.stringify(Object.fromEntries(opened.state)));
    expect(opened.journal.stats.compactions).toBeGreaterThan(10);
    expect(await size(file)).toBeLessThanOrEqual(stateBytes);
    await opened.journal.close();
    const reopened = await openMap(file, 1024);
    expect(reopened.state.get('key-39')).toEqual({ round: 49, padding: 'y'.repeat(30) });
    expect(reopened.state.size).toBe(40);
    await reopened.journal.close();
  });

  it('gives the same state when the process dies after a compaction renamed its snapshot but before the journal was emptied', async () => {
    const opened = await openMap(file);
    for (let i = 0; i < 20; i += 1) await change(opened, `k${i % 5}`, i);
    await change(opened, 'k0', undefined);
    await opened.journal.close();
    const expected = Object.fromEntries([...opened.state].sort());
    // The snapshot of the whole state, with the old journal still beside it.
    await fs.writeFile(file, JSON.stringify(expected));

    const reopened = await openMap(file);
    expect(Object.fromEntries([...reopened.state].sort())).toEqual(expected);
    await reopened.journal.close();
  });

  it('writes per change the size of the change, whatever the number of keys', async () => {
    const perChange = async (keys: number): Promise<number> => {
      const keyed = path.join(dir, `state-${keys}.json`);
      const opened = await openMap(keyed);
      const value = (i: number) => ({ version: i, description: 'a layer version of some size', sha256: 'f'.repeat(64) });
      for (let start = 0; start < keys; start += 1000) {
        await Promise.all(Array.from({ length: Math.min(1000, keys - start) }, (_, i) => change(opened, `layer-${start + i}`, value(start + i))));
      }
      const before = opened.journal.stats.bytesWritten;
      const next = random(keys);
      const changes = 2 * keys;
      // One change at a time, each written alone, as requests of a slow run are.
      for (let i = 0; i < changes; i += 1) await change(opened, `layer-${Math.floor(next() * keys)}`, value(i));
      const written = opened.journal.stats.bytesWritten - before;
      await opened.journal.close();
      return written / changes;
    };
    const line = Buffer.byteLength(`${JSON.stringify({ k: 'layer-1234', v: { version: 1234, description: 'a layer version of some size', sha256: 'f'.repeat(64) } })}\n`);
    const small = await perChange(500);
    const large = await perChange(5000);
    // Rewriting the whole state per change would be about `keys` lines per change; the journal and its amortised
    // compactions cost a few lines at most, and no more with ten times the keys.
    expect(small).toBeLessThan(3 * line);
    expect(large).toBeLessThan(3 * line);
    expect(large / small).toBeLessThan(1.5);
  });

  it('names the snapshot and the remedy when the snapshot is not JSON', async () => {
    await fs.writeFile(file, '{"a": 1,');
    await expect(openMap(file)).rejects.toThrow(`Test state file ${file} is not valid JSON`);
    await expect(openMap(file)).rejects.toThrow('fix or delete it');
  });

  it('names the journal, the line and the remedy when a line before the last is not a change', async () => {
    await fs.writeFile(journalFileOf(file), '{"k":"a","v":1}\nnot json\n{"k":"b","v":2}\n');
    await expect(openMap(file)).rejects.toThrow(`Test state file journal ${journalFileOf(file)} line 2 is not valid`);
    await fs.writeFile(journalFileOf(file), '{"k":"a","v":1}\n{"v":2}\n');
    await expect(openMap(file)).rejects.toThrow(/line 2 is not valid \(not a \{"k": key, "v": value\} change\); fix or delete that line/);
  });

  it('loads a snapshot written before the journal existed, and refuses changes after close', async () => {
    await fs.writeFile(file, JSON.stringify({ old: { kept: true } }, null, 1));
    const opened = await openMap(file);
    expect(opened.state.get('old')).toEqual({ kept: true });
    await opened.journal.close();
    await expect(opened.journal.record('x', 1)).rejects.toThrow('is closed');
  });
});
