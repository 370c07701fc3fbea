import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ArtifactStore } from '../../functions/aws/artifacts';
import { encodeCursor } from '../../functions/listing/cursor';
import type { ListingItem } from '../../functions/listing/items';
import { LISTING_REGIONS } from '../../functions/listing/known-values';
import { LayerStore } from '../../functions/store/layer-store';
import { startListingServer, type ListingServer } from '../../local/commands/serve';
import { PIPELINE_REGIONS, PY312_ARM, PY313_X86, SBOM_DOCUMENT, seedListing, type SeededListing } from './seed';

let seeded: SeededListing;
let server: ListingServer;
let deps: ReturnType<SeededListing['deps']>;

beforeAll(async () => {
  seeded = await seedListing();
  deps = seeded.deps('test-secret');
  server = await startListingServer({ deps: () => deps });
});

afterAll(async () => {
  await server?.close();
  await seeded?.close();
});

async function get(pathAndQuery: string, headers: Record<string, string> = {}, method = 'GET') {
  deps.calls.length = 0;
  const response = await fetch(`${server.url}${pathAndQuery}`, { headers, method });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text), calls: [...deps.calls] };
}

const names = (items: ListingItem[]) => items.map((item) => item.name).sort();

describe('routes over a table a real local pipeline run seeded', () => {
  test('GET /v1/regions lists the regions the run published to and their health, with one GetItem and one Query', async () => {
    const response = await get('/v1/regions');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.json().items.map((item: { region: string }) => item.region).sort()).toEqual([...PIPELINE_REGIONS].sort());
    expect([...response.calls].sort()).toEqual(['GetItemCommand', 'QueryCommand']);
    expect(response.json().items.map((item: { health: string }) => item.health)).toEqual(PIPELINE_REGIONS.map(() => 'healthy'));
  });

  test('GET /v1/regions/{region}/layers lists the latest version of each layer there, with one Query', async () => {
    const response = await get('/v1/regions/eu-west-1/layers');
    expect(response.status).toBe(200);
    const body = response.json();
    expect(body.region).toBe('eu-west-1');
    expect(names(body.items)).toEqual(['lamina-bash', PY312_ARM, PY313_X86]);
    const bash = body.items.find((item: ListingItem) => item.name === 'lamina-bash');
    // The fields the issue asks for, with the values the pipeline recorded.
    expect(bash).toMatchObject({
      kind: 'bash-runtime',
      package: 'bash',
      runtimes: ['provided.al2023', 'provided.al2'],
      architectures: ['x86_64', 'arm64'],
      region: 'eu-west-1',
      version: 2,
      status: 'latest',
      expiresAt: null,
    });
    expect(bash.arn).toMatch(/^arn:aws:lambda:eu-west-1:\d{12}:layer:lamina-bash:2$/);
    expect(bash.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(bash.publishedAt)).not.toBeNaN();
    expect(response.calls).toEqual(['QueryCommand']);
  });

  test('the pipeline-published version is what the emulator holds', async () => {
    const emulated = await seeded.pipeline.services.emulator!.snapshot('us-east-1');
    const listed = (await get('/v1/regions/us-east-1/layers?kind=bash-runtime')).json().items as ListingItem[];
    expect(listed.map((item) => item.arn)).toEqual(emulated.filter((v) => v.layerName === 'lamina-bash').map((v) => v.layerVersionArn));
  });

  test.each([
    ['runtime=python3.12', [PY312_ARM]],
    ['runtime=provided.al2023', ['lamina-bash']],
    ['arch=x86_64', ['lamina-bash', PY313_X86]],
    ['arch=arm64&runtime=python3.13', []],
    ['kind=python', [PY312_ARM, PY313_X86]],
    ['q=py313', [PY313_X86]],
    ['q=requests&arch=arm64', [PY312_ARM]],
  ])('filter %s', async (query, expected) => {
    const response = await get(`/v1/regions/eu-west-1/layers?${query}`);
    expect(response.status).toBe(200);
    expect(names(response.json().items)).toEqual([...expected].sort());
    expect(response.calls).toEqual(['QueryCommand']);
  });

  test('GET /v1/layers/{name} gives the latest version in every region (one Query on the index)', async () => {
    const response = await get('/v1/layers/lamina-bash');
    expect(response.status).toBe(200);
    const items = response.json().items as ListingItem[];
    expect(items.map((item) => item.region).sort()).toEqual([...PIPELINE_REGIONS].sort());
    expect(items.find((item) => item.region === 'eu-west-1')!.version).toBe(2);
    expect(items.find((item) => item.region === 'us-east-1')!.version).toBe(1);
    expect(response.calls).toEqual(['QueryCommand']);
  });

  test('GET /v1/layers/{name}/versions shows latest and deprecated versions with their expiry', async () => {
    const response = await get('/v1/layers/lamina-bash/versions?region=eu-west-1');
    expect(response.status).toBe(200);
    const items = response.json().items as ListingItem[];
    expect(items.map((item) => [item.version, item.status])).toEqual([
      [2, 'latest'],
      [1, 'deprecated'],
    ]);
    expect(items[0].expiresAt).toBeNull();
    const expected = seeded.deprecatedAt.getTime() + 30 * 24 * 3600 * 1000;
    expect(Date.parse(items[1].expiresAt!)).toBe(expected);
    expect(items[1].arn).toBe(seeded.bashVersion1.arn);
    expect(response.calls).toEqual(['QueryCommand']);
  });

  test('GET /v1/layers/{name}/sbom returns the document the build recorded (one Query, then the artifact store)', async () => {
    const response = await get(`/v1/layers/${PY312_ARM}/sbom`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/vnd\.cyclonedx\+json/);
    expect(response.text).toBe(SBOM_DOCUMENT);
    expect(response.calls).toEqual(['QueryCommand']);
    const bySha = await get(`/v1/layers/${PY312_ARM}/sbom?sha256=${'c'.repeat(64)}`);
    expect(bySha.text).toBe(SBOM_DOCUMENT);
    expect(bySha.headers.get('cache-control')).toContain('immutable');
    expect(bySha.calls).toEqual(['GetItemCommand']);
  });

  test('a layer the pipeline built without an SBOM answers 404 saying so', async () => {
    const response = await get('/v1/layers/lamina-bash/sbom');
    expect(response.status).toBe(404);
    expect(response.json().error.code).toBe('SbomNotFound');
  });

  test('GET / serves the page, reading no table', async () => {
    const response = await get('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.text).toContain('<label for="region">');
    expect(response.text).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
    expect(response.calls).toEqual([]);
  });
});

describe('formats', () => {
  test.each([
    ['?format=csv', {}],
    ['', { accept: 'text/csv' }],
  ])('CSV by %s %j: text/csv with a download file name', async (query, headers) => {
    const response = await get(`/v1/regions/eu-west-1/layers${query}`, headers);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="lamina-eu-west-1-layers.csv"');
    const lines = response.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('name,kind,package,packageVersion,runtimes,architectures,region,arn,version,sha256,publishedAt,status,expiresAt,verified');
    expect(lines).toHaveLength(4);
    expect(lines.some((line) => line.startsWith(`${PY312_ARM},python,requests,2.32.3,python3.12,arm64,eu-west-1,`))).toBe(true);
  });

  test.each([
    ['?format=html', {}],
    ['', { accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8' }],
  ])('HTML by %s %j', async (query, headers) => {
    const response = await get(`/v1/layers/lamina-bash/versions?region=eu-west-1${query ? `&${query.slice(1)}` : ''}`, headers);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.text).toContain('<th scope="col">Expires</th>');
    expect(response.text).toContain(seeded.bashVersion1.arn);
  });

  test('JSON is the default, and wins over CSV when the Accept header prefers it', async () => {
    expect((await get('/v1/regions')).headers.get('content-type')).toMatch(/^application\/json/);
    const preferred = await get('/v1/regions', { accept: 'text/csv;q=0.5, application/json' });
    expect(preferred.headers.get('content-type')).toMatch(/^application\/json/);
  });
});

describe('pagination and caching', () => {
  test('limit=1 pages through every layer of a region with opaque cursors, one Query each', async () => {
    const seen: string[] = [];
    let query = '?limit=1';
    for (let page = 0; page < 10; page++) {
      const response = await get(`/v1/regions/eu-west-1/layers${query}`);
      expect(response.status).toBe(200);
      expect(response.calls).toEqual(['QueryCommand']);
      const body = response.json();
      seen.push(...names(body.items));
      if (!body.nextCursor) break;
      expect(body.nextCursor).not.toContain('LATEST#');
      expect(response.headers.get('link')).toBe(`<?limit=1&cursor=${encodeURIComponent(body.nextCursor)}>; rel="next"`);
      query = `?limit=1&cursor=${encodeURIComponent(body.nextCursor)}`;
    }
    expect(seen.sort()).toEqual(['lamina-bash', PY312_ARM, PY313_X86]);
  });

  test('ETag and Cache-Control are set, and If-None-Match answers 304 with no body', async () => {
    const first = await get('/v1/regions/eu-west-1/layers?arch=arm64');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(first.headers.get('cache-control')).toMatch(/max-age=\d+/);
    const again = await get('/v1/regions/eu-west-1/layers?arch=arm64', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    expect((await get('/v1/regions/eu-west-1/layers?arch=arm64', { 'if-none-match': `"other", W/${etag}` })).status).toBe(304);
    expect((await get('/v1/regions/eu-west-1/layers?arch=arm64', { 'if-none-match': '"other"' })).status).toBe(200);
    // Another representation of the same listing has another tag.
    expect((await get('/v1/regions/eu-west-1/layers?arch=arm64&format=csv')).headers.get('etag')).not.toBe(etag);
  });
});

describe('bad input: 4xx JSON, never a 500, and nothing reaches the table unchecked', () => {
  const cases: [string, string, number, string, string[] | undefined][] = [
    ['unknown region', '/v1/regions/mars-north-1/layers', 400, 'InvalidRegion', ['us-east-1', 'eu-west-1']],
    ['region with key syntax', '/v1/regions/us-east-1%23LATEST/layers', 400, 'InvalidRegion', ['us-east-1']],
    ['unknown runtime', '/v1/regions/us-east-1/layers?runtime=python2.7', 400, 'InvalidRuntime', ['python3.12', 'provided.al2023']],
    ['unknown architecture', '/v1/regions/us-east-1/layers?arch=aarch64', 400, 'InvalidArchitecture', ['x86_64', 'arm64']],
    ['unknown kind', '/v1/regions/us-east-1/layers?kind=rust', 400, 'InvalidKind', ['python', 'bash-runtime']],
    ['unknown format', '/v1/regions/us-east-1/layers?format=xml', 400, 'InvalidFormat', ['json', 'csv', 'html']],
    ['unknown format on regions', '/v1/regions?format=yaml', 400, 'InvalidFormat', ['json', 'csv', 'html']],
    ['name filter with expression syntax', "/v1/regions/us-east-1/layers?q=a'%20OR%20%3Aq", 400, 'InvalidNameFilter', undefined],
    ['versions without a region', '/v1/layers/lamina-bash/versions', 400, 'MissingRegion', ['us-east-1']],
    ['versions in an unknown region', '/v1/layers/lamina-bash/versions?region=moon-1', 400, 'InvalidRegion', ['us-east-1']],
    ['malformed layer name', '/v1/layers/bad%20name%23', 400, 'InvalidLayerName', undefined],
    ['garbage cursor', '/v1/regions/us-east-1/layers?cursor=not-a-cursor', 400, 'InvalidCursor', undefined],
    ['limit zero', '/v1/regions/us-east-1/layers?limit=0', 400, 'InvalidLimit', undefined],
    ['limit not a number', '/v1/regions/us-east-1/layers?limit=ten', 400, 'InvalidLimit', undefined],
    ['unknown parameter', '/v1/regions/us-east-1/layers?archs=arm64', 400, 'UnknownParameter', ['runtime', 'arch']],
    ['repeated parameter', '/v1/regions/us-east-1/layers?arch=arm64&arch=x86_64', 400, 'RepeatedParameter', undefined],
    ['bad percent-encoding', '/v1/layers/%E0%A4%A', 400, 'InvalidPath', undefined],
    ['malformed sha256', '/v1/layers/lamina-bash/sbom?sha256=xyz', 400, 'InvalidSha256', undefined],
    ['SBOM as CSV', '/v1/layers/lamina-bash/sbom?format=csv', 400, 'InvalidFormat', ['json']],
    ['unknown path', '/v2/regions', 404, 'NotFound', undefined],
    ['unknown sub-path', '/v1/layers/lamina-bash/owners', 404, 'NotFound', undefined],
  ];

  test.each(cases)('%s (%s) → %i %s, with no DynamoDB call', async (_what, url, status, code, validValues) => {
    const response = await get(url);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const { error } = response.json();
    expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(10);
    for (const value of validValues ?? []) expect(error.validValues).toContain(value);
    expect(response.calls).toEqual([]);
  });

  test('an unknown region error lists every Lambda region', async () => {
    expect((await get('/v1/regions/xx-1/layers')).json().error.validValues).toEqual(LISTING_REGIONS);
  });

  test.each([
    ['/v1/layers/lamina-nope', 'LayerNotFound'],
    ['/v1/layers/lamina-nope/versions?region=eu-west-1', 'LayerNotFound'],
    ['/v1/layers/lamina-bash/versions?region=us-west-2', 'LayerNotFound'],
    ['/v1/layers/lamina-nope/sbom', 'LayerNotFound'],
    [`/v1/layers/lamina-bash/sbom?sha256=${'e'.repeat(64)}`, 'BuildNotFound'],
  ])('%s → 404 %s after one DynamoDB call', async (url, code) => {
    const response = await get(url);
    expect(response.status).toBe(404);
    expect(response.json().error.code).toBe(code);
    expect(response.calls).toHaveLength(1);
  });

  test('a cursor with an edited payload, a forged signature, or from another listing is a 400', async () => {
    const first = (await get('/v1/regions/eu-west-1/layers?limit=1')).json().nextCursor as string;
    const [payload, signature] = first.split('.');
    const edited = Buffer.from(JSON.stringify({ pk: 'REGION#us-east-1', sk: 'LATEST#lamina-bash' })).toString('base64url');
    const flipped = signature.slice(0, -2) + (signature.endsWith('AA') ? 'BB' : 'AA');
    for (const cursor of [`${edited}.${signature}`, `${payload}.${flipped}`, `${payload}`, `${payload}.${signature}.x`]) {
      const response = await get(`/v1/regions/eu-west-1/layers?limit=1&cursor=${encodeURIComponent(cursor)}`);
      expect(response.status).toBe(400);
      expect(response.json().error.code).toBe('InvalidCursor');
      expect(response.calls).toEqual([]);
    }
    // Valid for eu-west-1's listing, not for us-east-1's, nor for a layer's versions.
    expect((await get(`/v1/regions/us-east-1/layers?cursor=${encodeURIComponent(first)}`)).status).toBe(400);
    expect((await get(`/v1/layers/lamina-bash/versions?region=eu-west-1&cursor=${encodeURIComponent(first)}`)).status).toBe(400);
    // Signed with another secret (another deployment, or the default when this one has its own).
    const foreign = encodeCursor({ pk: 'REGION#eu-west-1', sk: 'LATEST#lamina-bash' }, 'region-layers:eu-west-1', 'other-secret');
    expect((await get(`/v1/regions/eu-west-1/layers?cursor=${encodeURIComponent(foreign)}`)).status).toBe(400);
  });

  test('a correctly signed cursor DynamoDB still refuses is a 400, not a 500', async () => {
    // A key of another partition, signed with the server's secret (as if the secret had leaked).
    const misplaced = encodeCursor({ pk: 'REGION#us-east-1', sk: 'LATEST#x' }, 'region-layers:eu-west-1', 'test-secret');
    const response = await get(`/v1/regions/eu-west-1/layers?cursor=${encodeURIComponent(misplaced)}`);
    expect(response.status).toBe(400);
  });

  test('writing methods are refused with 405 and Allow', async () => {
    const response = await get('/v1/regions', {}, 'DELETE');
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });

  test('any origin may read the listing: CORS headers, and a preflight answer', async () => {
    expect((await get('/v1/regions')).headers.get('access-control-allow-origin')).toBe('*');
    expect((await get('/v1/regions/nowhere/layers')).headers.get('access-control-allow-origin')).toBe('*');
    const preflight = await get('/v1/regions', { origin: 'https://example.org', 'access-control-request-method': 'GET' }, 'OPTIONS');
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('GET');
    expect(preflight.calls).toEqual([]);
  });

  test('HEAD answers the headers of GET without a body', async () => {
    const head = await get('/v1/regions', {}, 'HEAD');
    const body = await get('/v1/regions');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers.get('etag')).toBe(body.headers.get('etag'));
  });
});

describe('static export', () => {
  test('the pipeline run wrote the listing to the state folder and to the artifact store under listing/', async () => {
    const listingDir = path.join(seeded.pipeline.stateDir, 'listing');
    const regions = JSON.parse(await fs.readFile(path.join(listingDir, 'regions.json'), 'utf8'));
    expect(regions.items.map((item: { region: string }) => item.region).sort()).toEqual([...PIPELINE_REGIONS].sort());
    const artifacts = ArtifactStore.fromEnvironment();
    for (const region of PIPELINE_REGIONS) {
      const local = JSON.parse(await fs.readFile(path.join(listingDir, 'regions', `${region}.json`), 'utf8'));
      // Exported right after the run: lamina-bash version 1, as the store recorded it then.
      expect(local.items.map((item: ListingItem) => [item.name, item.version])).toEqual([['lamina-bash', 1]]);
      expect(JSON.parse(await artifacts.getText(`listing/regions/${region}.json`))).toEqual(local);
      const csv = await artifacts.getText(`listing/regions/${region}.csv`);
      expect(csv.split('\r\n')[1]).toContain(`,${region},arn:aws:lambda:${region}:`);
    }
    expect(await artifacts.getText('listing/index.html')).toContain('"source":"static"');
  });

  test('a later export agrees with the API, deprecated versions included', async () => {
    const { exportListing } = await import('../../functions/listing/static-export');
    const files = await exportListing(PIPELINE_REGIONS, { store: new LayerStore() });
    const euWest = JSON.parse(files.find((file) => file.path === 'regions/eu-west-1.json')!.body);
    const api = (await get('/v1/regions/eu-west-1/layers')).json();
    expect(names(euWest.items)).toEqual(names(api.items));
    expect(euWest.items).toEqual(expect.arrayContaining(api.items));
    const versions = (await get('/v1/layers/lamina-bash/versions?region=eu-west-1')).json().items as ListingItem[];
    expect(euWest.deprecated).toEqual(versions.filter((item) => item.status === 'deprecated'));
  });
});
