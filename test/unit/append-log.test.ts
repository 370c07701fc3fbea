import { promises as fsPromises } from 'node:fs';
import { mkdtemp, readFile, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AppendLog } from '../../local/state-folder/append-log';

describe('AppendLog (the EventBridge and SNS stand-ins\' logs)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lamina-append-log-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes every append in the order given, those made during a write together in the next one', async () => {
    const log = new AppendLog(path.join(dir, 'events.jsonl'));
    const writes = jest.spyOn(fsPromises, 'appendFile');
    try {
      await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(`${i}\n`)));
      expect((await readFile(log.file, 'utf8')).split('\n').filter(Boolean)).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
      // The first append is written alone; the 49 made while it was under way go out in one write.
      expect(writes).toHaveBeenCalledTimes(2);
      await log.append('50\n');
      expect(writes).toHaveBeenCalledTimes(3);
      expect((await readFile(log.file, 'utf8')).endsWith('49\n50\n')).toBe(true);
    } finally {
      writes.mockRestore();
    }
  });

  it('a failed write fails only the appends it carried; the next ones are written', async () => {
    const log = new AppendLog(path.join(dir, 'missing', 'events.jsonl'));
    await expect(log.append('lost\n')).rejects.toThrow(/ENOENT/);
    await log.idle();
    await mkdir(path.join(dir, 'missing'));
    await log.append('kept\n');
    expect(await readFile(log.file, 'utf8')).toBe('kept\n');
  });
});
