import { mkdtemp, mkdir, rm, writeFile, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readElf } from '../../functions/layers/elf/elf';
import { assertNativeFilesFit, checkNativeFiles, findNativeFiles } from '../../functions/layers/elf/native-check';
import { elfFixture } from '../support/elf-fixture';

const AL2023 = { architecture: 'x86_64' as const, glibc: [2, 34] as const, runtime: 'nodejs22.x (Amazon Linux 2023, glibc 2.34)' };
const AL2 = { architecture: 'x86_64' as const, glibc: [2, 26] as const, runtime: 'nodejs18.x (Amazon Linux 2, glibc 2.26)' };

describe('ELF reader', () => {
  it('reads the machine and the newest glibc version from .gnu.version_r, in both byte orders', () => {
    const info = readElf(elfFixture({ machine: 'arm64', glibc: ['2.17', '2.28', '2.2.5'] }));
    expect(info.machine).toBe('arm64');
    expect(info.glibcVersions).toEqual([[2, 2], [2, 17], [2, 28]]);
    expect(info.maxGlibc).toEqual([2, 28]);
    expect(readElf(elfFixture({ machine: 'x86_64', glibc: ['2.35'], bigEndian: true })).maxGlibc).toEqual([2, 35]);
    expect(readElf(elfFixture({ machine: 'x86_64' })).maxGlibc).toBeUndefined();
  });

  it('refuses a truncated file', () => {
    const whole = elfFixture({ machine: 'x86_64', glibc: ['2.17'] });
    expect(() => readElf(whole.subarray(0, whole.length - 40))).toThrow(/truncated/);
  });

  it('reads a real prebuilt: the node binary running this test, with the architecture of this machine and a glibc 2.x need', () => {
    const info = readElf(require('node:fs').readFileSync(process.execPath));
    expect(info.machine).toBe(process.arch === 'arm64' ? 'arm64' : 'x86_64');
    expect(info.maxGlibc![0]).toBe(2);
    expect(info.maxGlibc![1]).toBeGreaterThanOrEqual(17);
  });
});

describe('native files against a target', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lamina-elf-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('finds ELF files by content, whatever their name, and passes those that fit', async () => {
    await mkdir(path.join(dir, 'node_modules/a/build'), { recursive: true });
    await writeFile(path.join(dir, 'node_modules/a/build/a.node'), elfFixture({ machine: 'x86_64', glibc: ['2.17', '2.34'] }));
    await writeFile(path.join(dir, 'node_modules/a/tool'), elfFixture({ machine: 'x86_64' }));
    await writeFile(path.join(dir, 'node_modules/a/index.js'), 'module.exports = 1;\n');
    const files = await assertNativeFilesFit(dir, AL2023, 'layer x', 'do something');
    expect(files.map((f) => f.file)).toEqual(['node_modules/a/build/a.node', 'node_modules/a/tool']);
  });

  it('fails a file built for the wrong architecture, naming it and both architectures', async () => {
    await mkdir(path.join(dir, 'lib'), { recursive: true });
    await writeFile(path.join(dir, 'lib/libfoo.so.1'), elfFixture({ machine: 'arm64', glibc: ['2.17'] }));
    await expect(assertNativeFilesFit(dir, AL2023, 'layer x', 'Pin another version')).rejects.toThrow(
      /layer x: native code that cannot load on nodejs22\.x .* x86_64: lib\/libfoo\.so\.1 is built for arm64, not x86_64\. Pin another version/,
    );
  });

  it('fails a file needing a newer glibc than the runtime has, with both versions', async () => {
    await writeFile(path.join(dir, 'mod.node'), elfFixture({ machine: 'x86_64', glibc: ['2.28'] }));
    expect((await checkNativeFiles(dir, AL2023)).mismatches).toEqual([]);
    await expect(assertNativeFilesFit(dir, AL2, 'layer y', 'advice')).rejects.toThrow(/mod\.node needs glibc 2\.28, newer than the 2\.26 of nodejs18\.x/);
  });

  it('checks real prebuilts: the node binary (glibc 2.28) does not fit Amazon Linux 2, a real .node of this machine does fit', async () => {
    await writeFile(path.join(dir, 'node'), await readFile(process.execPath));
    const nodeNeeds = (await findNativeFiles(dir))[0].maxGlibc!;
    const { mismatches } = await checkNativeFiles(dir, { ...AL2, glibc: [nodeNeeds[0], nodeNeeds[1] - 1] });
    expect(mismatches[0].reason).toMatch(new RegExp(`needs glibc ${nodeNeeds[0]}\\.${nodeNeeds[1]}`));
    const prebuilt = path.join(__dirname, '../../node_modules/classic-level/prebuilds/linux-x64/classic-level.node');
    if (process.arch === 'x64' && existsSync(prebuilt)) {
      await rm(path.join(dir, 'node'));
      await writeFile(path.join(dir, 'classic-level.node'), await readFile(prebuilt));
      expect((await checkNativeFiles(dir, AL2023)).mismatches).toEqual([]);
      expect((await checkNativeFiles(dir, { ...AL2023, architecture: 'arm64' })).mismatches[0].reason).toBe('is built for x86_64, not arm64');
    }
  });
});
