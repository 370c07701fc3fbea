import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { pathToFileURL } from 'node:url';
import * as path from 'node:path';
import { IndexClient, IndexError, PackageNotFoundError } from '../../functions/layers/python/index-client';
import { parseHtmlPage, parseJsonPage } from '../../functions/layers/python/simple-api';
import { useFixtureIndex } from './support/harness';

describe('Simple API parsing', () => {
  test('PEP 503 HTML with PEP 592 yanks, requires-python and PEP 658/714 metadata', () => {
    const page = parseHtmlPage(
      `<html><head><base href="https://files.example/pkgs/"></head><body>
        <a href="demo-1.0-py3-none-any.whl#sha256=ABCDEF" data-requires-python="&gt;=3.8,&lt;4" data-core-metadata="sha256=0123">demo-1.0-py3-none-any.whl</a>
        <a href="../old/demo-0.9.tar.gz#md5=ff" data-yanked="">demo-0.9.tar.gz</a>
        <a href='demo-0.8-py3-none-any.whl' data-yanked="bad &amp; broken" data-dist-info-metadata="true">demo-0.8-py3-none-any.whl</a>
      </body></html>`,
      'https://index.example/simple/demo/',
    );
    expect(page.files).toEqual([
      { filename: 'demo-1.0-py3-none-any.whl', url: 'https://files.example/pkgs/demo-1.0-py3-none-any.whl', hashes: { sha256: 'abcdef' }, requiresPython: '>=3.8,<4', yanked: false, coreMetadata: { hashes: { sha256: '0123' } } },
      { filename: 'demo-0.9.tar.gz', url: 'https://files.example/old/demo-0.9.tar.gz', hashes: { md5: 'ff' }, requiresPython: undefined, yanked: '', coreMetadata: false },
      { filename: 'demo-0.8-py3-none-any.whl', url: 'https://files.example/pkgs/demo-0.8-py3-none-any.whl', hashes: {}, requiresPython: undefined, yanked: 'bad & broken', coreMetadata: { hashes: {} } },
    ]);
  });

  test('PEP 691 JSON, with the pre-PEP 714 metadata key and relative URLs', () => {
    const page = parseJsonPage(
      JSON.stringify({
        meta: { 'api-version': '1.1' },
        name: 'demo',
        files: [
          { filename: 'demo-1.0-py3-none-any.whl', url: '../../files/demo-1.0-py3-none-any.whl', hashes: { sha256: 'aa' }, 'requires-python': '>=3.9', 'dist-info-metadata': { sha256: 'bb' } },
          { filename: 'demo-0.9-py3-none-any.whl', url: 'https://cdn.example/demo-0.9-py3-none-any.whl', hashes: {}, yanked: true },
        ],
      }),
      'https://index.example/simple/demo/',
    );
    expect(page.files[0]).toMatchObject({ url: 'https://index.example/files/demo-1.0-py3-none-any.whl', requiresPython: '>=3.9', coreMetadata: { hashes: { sha256: 'bb' } }, yanked: false });
    expect(page.files[1]).toMatchObject({ yanked: '', coreMetadata: false });
  });
});

describe('index client', () => {
  const harness = useFixtureIndex();
  const client = (options: Partial<ConstructorParameters<typeof IndexClient>[0]> = {}) => new IndexClient({ indexUrl: harness.server.url, backoffMs: 5, ...options });

  afterEach(() => {
    harness.server.options = {};
  });

  test('JSON first; the same files from an HTML-only index and from a file:// folder', async () => {
    const fromJson = await client().project('Requests');
    expect(harness.server.pages.at(-1)).toEqual({ project: 'requests', format: 'json' });
    harness.server.options = { htmlOnly: true };
    const fromHtml = await client().project('requests');
    expect(harness.server.pages.at(-1)).toEqual({ project: 'requests', format: 'html' });
    const fromFolder = await new IndexClient({ indexUrl: pathToFileURL(path.join(harness.index.dir, 'simple')).toString() }).project('requests');
    const summary = (files: typeof fromJson.files) => files.map((f) => [f.filename, f.hashes.sha256, f.requiresPython, f.yanked, Boolean(f.coreMetadata)]);
    expect(fromJson.files.length).toBe(2);
    expect(summary(fromHtml.files)).toEqual(summary(fromJson.files));
    expect(summary(fromFolder.files)).toEqual(summary(fromJson.files));
    expect(fromFolder.files[0].url.startsWith('file:')).toBe(true);
  });

  test('retries on 503 and 429 with backoff, then succeeds', async () => {
    harness.server.options = { failFirst: { count: 2, status: 503 } };
    expect((await client().project('idna')).files.length).toBe(3);
    harness.server.options = { failFirst: { count: 3, status: 429 } };
    expect((await client().project('certifi')).files.length).toBe(2);
  });

  test('gives up after its attempts with a message naming the index', async () => {
    harness.server.options = { failFirst: { count: 10, status: 502 } };
    const error = await client({ attempts: 3 })
      .project('six-missing-too')
      .catch((e) => e);
    expect(error).toBeInstanceOf(IndexError);
    expect(error.message).toMatch(/failed after 3 attempts \(answered 502/);
    expect(error.message).toContain(harness.server.url);
  });

  test('an unknown package is a clear error naming the index', async () => {
    const error = await client()
      .project('no-such-package')
      .catch((e) => e);
    expect(error).toBeInstanceOf(PackageNotFoundError);
    expect(error.message).toContain('"no-such-package" was not found on the index');
    expect(error.message).toContain(harness.server.url);
  });
});

describe('concurrent downloads of one file', () => {
  const harness = useFixtureIndex();

  test('two downloads to one path in the same millisecond both succeed, leaving one verified file', async () => {
    const client = new IndexClient({ indexUrl: harness.server.url, backoffMs: 5 });
    const file = (await client.project('requests')).files[0];
    const dest = path.join(harness.dir, 'concurrent', file.filename);
    // The old partial name was `${dest}.${pid}.${Date.now()}`: with the clock frozen, both downloads shared it.
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
    try {
      await Promise.all([client.download(file, dest), client.download(file, dest), client.download(file, dest)]);
    } finally {
      now.mockRestore();
    }
    const bytes = await fs.readFile(dest);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.hashes.sha256);
    expect((await fs.readdir(path.dirname(dest))).filter((name) => name.endsWith('.partial'))).toEqual([]);
  });
});
