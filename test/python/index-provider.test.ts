import type { IndexClient } from '../../functions/layers/python/index-client';
import { IndexProvider, type PythonTargetEnv } from '../../functions/layers/python/index-provider';
import { markerEnvironment, pythonRuntime } from '../../functions/layers/python/lambda-runtimes';
import { parseRequirement } from '../../functions/layers/python/pep508';
import { lambdaTags } from '../../functions/layers/python/platform-tags';
import { resolve } from '../../functions/layers/python/resolver';
import type { IndexFile, ProjectPage } from '../../functions/layers/python/simple-api';

function file(filename: string, extra: Partial<IndexFile> = {}): IndexFile {
  return { filename, url: `https://files.example/${filename}`, hashes: { sha256: 'ab'.repeat(32) }, yanked: false, coreMetadata: { hashes: {} }, ...extra };
}

/** A stand-in for the index client: pages from memory, metadata from a function. */
function fakeClient(pages: Record<string, IndexFile[]>, metadata: (url: string) => string = () => ''): IndexClient {
  return {
    indexUrl: 'https://index.example/simple/',
    project: async (name: string): Promise<ProjectPage> => ({ name, files: pages[name] ?? [] }),
    text: async (url: string) => metadata(url),
  } as unknown as IndexClient;
}

function env(runtime: string, architecture: 'x86_64' | 'arm64'): PythonTargetEnv {
  const facts = pythonRuntime(runtime);
  return { runtime, pythonVersion: facts.pythonVersion, pythonFullVersion: facts.pythonFullVersion, architecture, tags: lambdaTags(facts.pythonVersion, architecture, facts.glibc) };
}

describe('index provider', () => {
  test('one candidate per version: the most specific wheel, then the highest build, non-yanked first', async () => {
    const provider = new IndexProvider(
      fakeClient({
        pkg: [
          file('pkg-1.0-py3-none-any.whl'),
          file('pkg-1.0-cp312-abi3-manylinux_2_17_x86_64.whl'),
          file('pkg-1.0-cp312-cp312-manylinux_2_28_x86_64.whl'),
          file('pkg-1.0-cp312-cp312-manylinux_2_35_x86_64.whl'),
          file('pkg-1.0-cp312-cp312-musllinux_1_2_x86_64.whl'),
          file('pkg-1.0.0-1-cp312-cp312-win_amd64.whl'),
          file('pkg-2.0-1-py3-none-any.whl'),
          file('pkg-2.0-2-py3-none-any.whl', { yanked: 'bad build' }),
          file('pkg-3.0-py3-none-any.whl', { requiresPython: '>=3.13' }),
          file('pkg-4.0.tar.gz'),
          file('other-5.0-py3-none-any.whl'),
        ],
      }),
      env('python3.12', 'x86_64'),
      '/nonexistent',
    );
    const candidates = await provider.candidates('pkg');
    expect(candidates.map((c) => [c.version, c.file.filename, c.yanked]).sort()).toEqual([
      ['1.0', 'pkg-1.0-cp312-cp312-manylinux_2_28_x86_64.whl', false],
      ['2.0', 'pkg-2.0-1-py3-none-any.whl', false],
    ]);
  });

  test('explains a missing wheel with the files it saw and the tags it tried', async () => {
    const provider = new IndexProvider(fakeClient({ pkg: [file('pkg-1.0-cp39-cp39-win_amd64.whl'), file('pkg-1.0.tar.gz')] }), env('python3.9', 'arm64'), '/nonexistent');
    const { reason, text } = await provider.explainNoCandidates('pkg', [], await provider.candidates('pkg'));
    expect(reason).toBe('no-wheel');
    expect(text).toMatch(/^pkg 1\.0: no wheel for python3\.9 arm64 \(files: pkg-1\.0-cp39-cp39-win_amd64\.whl, pkg-1\.0\.tar\.gz\)/);
    expect(text).toMatch(/Tags tried: cp39-cp39-manylinux_2_26_aarch64, /);
  });

  test('a project with thousands of releases resolves reading the metadata of a couple of releases, not thousands', async () => {
    const files: IndexFile[] = [];
    for (let major = 1; major <= 60; major++) {
      for (let minor = 0; minor < 50; minor++) files.push(file(`big-1.${major}.${minor}-py3-none-any.whl`), file(`big-1.${major}.${minor}.tar.gz`));
    }
    const metadataRead: string[] = [];
    const provider = new IndexProvider(
      fakeClient({ big: files }, (url) => {
        metadataRead.push(url);
        return `Metadata-Version: 2.1\nName: big\nVersion: ${/big-([^-]+)-/.exec(url)![1]}\n`;
      }),
      env('python3.13', 'arm64'),
      '/nonexistent',
    );
    // Work, not wall-clock time (timings belong in benchmarks): of 3,000 releases, only a couple have their metadata
    // read (the newest, to learn about the project, and the chosen one).
    const [chosen] = await resolve([parseRequirement('big<1.40,!=1.39.49')], provider, { environment: markerEnvironment('3.13', '3.13.5', 'arm64') });
    expect(chosen.candidate.version).toBe('1.39.48');
    expect(metadataRead.length).toBeLessThanOrEqual(2);
    expect(metadataRead).toContainEqual(expect.stringContaining('big-1.39.48-py3-none-any.whl'));
  });
});
