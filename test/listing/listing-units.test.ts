import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createApiHandler, listingRequestOf } from '../../functions/api/handler';
import { LAYER_KINDS } from '../../functions/layers/kinds';
import { cursorSecret, decodeCursor, encodeCursor } from '../../functions/listing/cursor';
import { csvCell, escapeHtml, negotiateFormat, renderCsv } from '../../functions/listing/formats';
import { HttpError, ifNoneMatchHits, type ListingRequest } from '../../functions/listing/http';
import { LISTING_KINDS } from '../../functions/listing/known-values';
import { pageSecurityPolicy, renderPage } from '../../functions/listing/page';
import { ResponseCache } from '../../functions/listing/response-cache';
import { handleListingRequest, type ListingDeps } from '../../functions/listing/routes';
import { createHash } from 'node:crypto';

const request = (query = '', headers: Record<string, string> = {}): ListingRequest => ({
  method: 'GET',
  path: '/v1/regions',
  query: new URLSearchParams(query),
  headers,
});

describe('cursor', () => {
  const key = { pk: 'REGION#eu-west-1', sk: 'LATEST#lamina-bash' };

  test('round-trips a LastEvaluatedKey without showing it', () => {
    const cursor = encodeCursor(key, 'scope-a', 's3cret');
    expect(cursor).not.toContain('LATEST');
    expect(decodeCursor(cursor, 'scope-a', 's3cret')).toEqual(key);
  });

  test.each([
    ['another scope', (c: string) => c, 'scope-b', 's3cret'],
    ['another secret', (c: string) => c, 'scope-a', 'other'],
    ['an edited payload', (c: string) => Buffer.from(JSON.stringify({ ...key, sk: 'LATEST#x' })).toString('base64url') + c.slice(c.indexOf('.')), 'scope-a', 's3cret'],
    ['a cut signature', (c: string) => c.slice(0, -3), 'scope-a', 's3cret'],
    ['no signature', (c: string) => c.split('.')[0], 'scope-a', 's3cret'],
    ['characters outside base64url', (c: string) => `${c}=`, 'scope-a', 's3cret'],
    ['an empty cursor', () => '', 'scope-a', 's3cret'],
    ['a huge cursor', () => 'a'.repeat(5000) + '.b', 'scope-a', 's3cret'],
  ])('rejects %s with a 400', (_what, tamper, scope, secret) => {
    const cursor = tamper(encodeCursor(key, 'scope-a', 's3cret'));
    expect(() => decodeCursor(cursor, scope, secret)).toThrow(expect.objectContaining({ status: 400, code: 'InvalidCursor' }));
  });

  test('rejects a signed payload that is not a key of lamina’s table', () => {
    for (const payload of [{ pk: 1 }, { other: 'x' }, {}, ['pk'], 'text']) {
      const cursor = encodeCursor(payload as never, 's', 'k');
      expect(() => decodeCursor(cursor, 's', 'k')).toThrow(HttpError);
    }
  });

  test('the secret comes from LAMINA_CURSOR_SECRET, else from the table name', () => {
    expect(cursorSecret({ LAMINA_CURSOR_SECRET: 'abc', LAMINA_TABLE: 't' })).toBe('abc');
    expect(cursorSecret({ LAMINA_TABLE: 't1' })).not.toBe(cursorSecret({ LAMINA_TABLE: 't2' }));
  });
});

describe('format negotiation', () => {
  test.each([
    ['', {}, 'json'],
    ['format=csv', { accept: 'application/json' }, 'csv'],
    ['', { accept: 'text/csv' }, 'csv'],
    ['', { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' }, 'html'],
    ['', { accept: 'text/csv;q=0.2, text/html;q=0.7' }, 'html'],
    ['', { accept: '*/*' }, 'json'],
    ['', { accept: 'image/png' }, 'json'],
    ['', { accept: 'text/csv;q=0' }, 'json'],
  ])('format=%s Accept %j → %s', (query, headers, expected) => {
    expect(negotiateFormat(request(query, headers as Record<string, string>))).toBe(expected);
  });

  test('an unknown format= is a 400 naming the formats', () => {
    expect(() => negotiateFormat(request('format=pdf'))).toThrow(expect.objectContaining({ status: 400, validValues: ['json', 'csv', 'html'] }));
  });
});

describe('CSV and HTML rendering', () => {
  test('CSV quotes separators and defuses formulas', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    const csv = renderCsv([{ key: 'k', title: 'K', value: (v: string) => v }], ['line\nbreak']);
    expect(csv).toBe('k\r\n"line\nbreak"\r\n');
  });

  test('HTML escaping leaves no markup', () => {
    expect(escapeHtml(`<script>alert("x")</script>&'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
  });
});

describe('conditional requests', () => {
  test.each([
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ['*', true],
    ['"abcd"', false],
    ['', false],
  ])('If-None-Match %s against "abc" → %s', (header, hit) => {
    expect(ifNoneMatchHits(header, '"abc"')).toBe(hit);
  });
});

describe('known values', () => {
  test('the listing knows every layer kind lamina builds', () => {
    expect([...LISTING_KINDS].sort()).toEqual(LAYER_KINDS.map((kind) => kind.kind).sort());
  });
});

describe('page', () => {
  test('is self-contained, and its CSP allows exactly its own inline script and style', () => {
    for (const source of ['api', 'static'] as const) {
      const html = renderPage({ source });
      expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//);
      const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1];
      const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1];
      const hash = (text: string) => createHash('sha256').update(text).digest('base64');
      expect(pageSecurityPolicy()).toContain(`'sha256-${hash(script)}'`);
      expect(pageSecurityPolicy()).toContain(`'sha256-${hash(style)}'`);
      expect(html).toContain(`"source":"${source}"`);
    }
  });
});

describe('API Gateway adapter', () => {
  const event = (rawPath: string, stage = '$default', rawQueryString = ''): APIGatewayProxyEventV2 =>
    ({
      version: '2.0',
      routeKey: '$default',
      rawPath,
      rawQueryString,
      headers: { Accept: 'text/csv', 'If-None-Match': '"x"' },
      isBase64Encoded: false,
      requestContext: { stage, http: { method: 'GET', path: rawPath } },
    }) as unknown as APIGatewayProxyEventV2;

  test('takes a named stage off the path and lower-cases header names', () => {
    const request = listingRequestOf(event('/prod/v1/regions', 'prod', 'format=csv&x=1'));
    expect(request.path).toBe('/v1/regions');
    expect(request.query.get('format')).toBe('csv');
    expect(request.headers).toEqual({ accept: 'text/csv', 'if-none-match': '"x"' });
    expect(listingRequestOf(event('/prod', 'prod')).path).toBe('/');
    expect(listingRequestOf(event('/production/v1', 'prod')).path).toBe('/production/v1');
  });

  test('answers in the payload 2.0 shape; a failing store is a 500 that does not leak the error', async () => {
    const logged: unknown[] = [];
    const failing = {
      store: { getRegions: () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.1')) },
      readArtifact: () => Promise.reject(new Error('unused')),
      logError: (_message: string, error: unknown) => logged.push(error),
    } as unknown as ListingDeps;
    const result = await createApiHandler(() => failing)(event('/v1/regions'));
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain('ECONNREFUSED');
    expect(logged).toHaveLength(1);
    const page = await createApiHandler(() => failing)(event('/'));
    expect(page.statusCode).toBe(200);
    expect(page.headers!['content-type']).toMatch(/^text\/html/);
  });

  test('the router never throws, whatever the path', async () => {
    const deps = { store: {}, readArtifact: async () => '' } as unknown as ListingDeps;
    for (const path of ['', '//', '/v1//layers', '/v1/layers/%', '/v1/regions/%00/layers', '/\u0000', '/v1/layers/a/b/c']) {
      const response = await handleListingRequest({ method: 'GET', path, query: new URLSearchParams(), headers: {} }, deps);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
    }
  });
});

describe('filters reach DynamoDB only as placeholders', () => {
  test('runtime, arch, kind and q become a FilterExpression of names and values, never text in it', async () => {
    const calls: unknown[][] = [];
    const deps = {
      store: { listLatestInRegion: async (...args: unknown[]) => (calls.push(args), { items: [] }) },
      readArtifact: async () => '',
    } as unknown as ListingDeps;
    const query = new URLSearchParams({ runtime: 'python3.12', arch: 'arm64', kind: 'python', q: 'req-uests_1', limit: '7' });
    const response = await handleListingRequest({ method: 'GET', path: '/v1/regions/eu-west-1/layers', query, headers: {} }, deps);
    expect(response.status).toBe(200);
    expect(calls).toHaveLength(1);
    const [region, page, filter] = calls[0] as [string, { limit: number }, { FilterExpression: string; ExpressionAttributeNames: object; values: object }];
    expect(region).toBe('eu-west-1');
    expect(page.limit).toBe(7);
    expect(filter.FilterExpression).toBe('contains(#runtimes, :runtime) AND contains(#architectures, :arch) AND #kind = :kind AND contains(#layerName, :q)');
    expect(filter.values).toEqual({ ':runtime': 'python3.12', ':arch': 'arm64', ':kind': 'python', ':q': 'req-uests_1' });
    expect(filter.ExpressionAttributeNames).toEqual({ '#runtimes': 'runtimes', '#architectures': 'architectures', '#kind': 'kind', '#layerName': 'layerName' });
  });

  test('no filter, no FilterExpression', async () => {
    const calls: unknown[][] = [];
    const deps = { store: { listLatestInRegion: async (...args: unknown[]) => (calls.push(args), { items: [] }) }, readArtifact: async () => '' } as unknown as ListingDeps;
    await handleListingRequest({ method: 'GET', path: '/v1/regions/eu-west-1/layers', query: new URLSearchParams(), headers: {} }, deps);
    expect(calls[0][2]).toBeUndefined();
  });
});

describe('response cache (LAMINA_LISTING_CACHE_SECONDS)', () => {
  test('is off unless the variable names a positive number of seconds', () => {
    expect(ResponseCache.fromEnvironment({})).toBeUndefined();
    expect(ResponseCache.fromEnvironment({ LAMINA_LISTING_CACHE_SECONDS: '0' })).toBeUndefined();
    expect(ResponseCache.fromEnvironment({ LAMINA_LISTING_CACHE_SECONDS: 'soon' })).toBeUndefined();
    expect(ResponseCache.fromEnvironment({ LAMINA_LISTING_CACHE_SECONDS: '5' })).toBeInstanceOf(ResponseCache);
  });

  test('forgets entries after the TTL and beyond its size, oldest first', () => {
    let now = 0;
    const cache = new ResponseCache(1000, 2, () => now);
    const response = (body: string) => ({ status: 200, headers: {}, body });
    cache.set('a', response('A'));
    cache.set('b', response('B'));
    cache.set('c', response('C'));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')?.body).toBe('B');
    now = 1000;
    expect(cache.get('c')).toBeUndefined();
  });

  test('answers a repeated request without reading the store, per representation, and still with 304', async () => {
    let reads = 0;
    const deps = {
      store: {
        getRegions: async () => (reads++, ['eu-west-1']),
        listVersions: async () => (reads++, { items: [] }),
      },
      readArtifact: async () => '',
      cache: new ResponseCache(60_000),
    } as unknown as ListingDeps;
    const ask = (path: string, headers: Record<string, string> = {}, query = '') =>
      handleListingRequest({ method: 'GET', path, query: new URLSearchParams(query), headers }, deps);
    const first = await ask('/v1/regions');
    const second = await ask('/v1/regions');
    expect(second.body).toBe(first.body);
    expect(reads).toBe(1);
    await ask('/v1/regions', { accept: 'text/csv' });
    expect(reads).toBe(2);
    expect((await ask('/v1/regions', { 'if-none-match': first.headers.etag })).status).toBe(304);
    expect(reads).toBe(2);
    // Errors are not kept: a layer published a moment later is found at once.
    expect((await ask('/v1/layers/lamina-x/versions', {}, 'region=eu-west-1')).status).toBe(404);
    expect((await ask('/v1/layers/lamina-x/versions', {}, 'region=eu-west-1')).status).toBe(404);
    expect(reads).toBe(4);
  });
});
