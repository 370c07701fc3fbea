import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { noticeConfig } from '../../functions/notices/environment';

const catalog = (prefix: string, reminderDays: number) => `
settings:
  prefix: ${prefix}
  regions: [eu-west-1]
  notifications:
    topics: [arn:aws:sns:eu-west-1:123456789012:platform-team]
    reminderDays: ${reminderDays}
layers:
  - name: bash
    kind: bash-runtime
`;

describe('the notice settings a handler sends notices with (functions/notices/environment.ts)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lamina-notice-config-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('deployed: LAMINA_NOTICES, as CDK sets it, wins over any catalog', async () => {
    const file = path.join(dir, 'deployed.yaml');
    await writeFile(file, catalog('from-file', 3));
    const env = { LAMINA_NOTICES: JSON.stringify({ prefix: 'deployed', reminderDays: 7, topics: [] }), LAMINA_CATALOG: file };
    expect(await noticeConfig(env)).toEqual({ prefix: 'deployed', reminderDays: 7, topics: [] });
  });

  it('locally: the catalog LAMINA_CATALOG names, parsed once per version of the file', async () => {
    const file = path.join(dir, 'catalog.yaml');
    await writeFile(file, catalog('first', 3));
    const env = { LAMINA_CATALOG: file };
    const first = await noticeConfig(env);
    expect(first).toEqual({ prefix: 'first', reminderDays: 3, topics: ['arn:aws:sns:eu-west-1:123456789012:platform-team'] });
    // The same file, unchanged: the settings already read (the very same object), not a second parse.
    expect(await noticeConfig(env)).toBe(first);
    // Changed in place, even to the same length: read again.
    await writeFile(file, catalog('other', 4));
    expect(await noticeConfig(env)).toEqual({ prefix: 'other', reminderDays: 4, topics: ['arn:aws:sns:eu-west-1:123456789012:platform-team'] });
    // Another file: its own settings.
    const second = path.join(dir, 'second.yaml');
    await writeFile(second, catalog('second', 5));
    expect((await noticeConfig({ LAMINA_CATALOG: second })).prefix).toBe('second');
  });

  it('a catalog that cannot be read is an error naming it, every time (not a remembered failure)', async () => {
    const file = path.join(dir, 'late.yaml');
    await expect(noticeConfig({ LAMINA_CATALOG: file })).rejects.toThrow(/late\.yaml/);
    await writeFile(file, catalog('late', 2));
    expect((await noticeConfig({ LAMINA_CATALOG: file })).prefix).toBe('late');
  });

  it('neither set: an error saying what notices need', async () => {
    await expect(noticeConfig({})).rejects.toThrow(/neither LAMINA_NOTICES nor LAMINA_CATALOG is set/);
  });
});
