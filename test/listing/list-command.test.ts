import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ListingItem } from '../../functions/listing/items';
import { collectListing, httpListing, inProcessListing, listCommand } from '../../local/commands/list';
import { startListingServer, localListingDeps } from '../../local/commands/serve';
import { UsageError } from '../../local/commands/command';
import { runLocalPipeline } from '../../local/runner';
import { startLocalServices } from '../../local/services';
import { LISTING_CATALOG, PIPELINE_REGIONS } from './seed';

let stateDir: string;

/** Runs the command and returns what it printed on stdout. */
async function list(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const spy = jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void lines.push(parts.join(' ')));
  try {
    const code = await listCommand.run(args);
    return { code, out: lines.join('\n') };
  } finally {
    spy.mockRestore();
  }
}

beforeAll(async () => {
  process.env.LAMINA_LOG_FORMAT = 'silent';
  stateDir = await mkdtemp(path.join(tmpdir(), 'lamina-list-'));
  const catalogFile = path.join(stateDir, 'catalog.yaml');
  await writeFile(catalogFile, LISTING_CATALOG);
  // A state folder on disk, as `lamina run` leaves it.
  const services = await startLocalServices({ stateDir });
  try {
    const { summary } = await runLocalPipeline({}, { stateDir, catalogFile, retryIntervalMs: 5 });
    expect(summary.failed).toBe(false);
  } finally {
    await services.close();
  }
});

afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe('lamina list', () => {
  test('reads the local store in the state folder: JSON, CSV and a table', async () => {
    const json = await list(['--state', stateDir, '--format', 'json']);
    expect(json.code).toBe(0);
    const items = JSON.parse(json.out) as ListingItem[];
    expect(items.map((item) => [item.name, item.region])).toEqual(
      [...PIPELINE_REGIONS].sort().map((region) => ['lamina-bash', region]),
    );
    expect(items.every((item) => item.arn === `arn:aws:lambda:${item.region}:000000000000:layer:lamina-bash:1`)).toBe(true);

    const csv = await list(['--state', stateDir, '--format', 'csv', '--region', 'eu-west-1']);
    expect(csv.out.split('\r\n')).toHaveLength(2);
    expect(csv.out).toContain(',eu-west-1,arn:aws:lambda:eu-west-1:000000000000:layer:lamina-bash:1,');

    const table = await list(['--state', stateDir, '--region', 'us-east-1']);
    expect(table.out.split('\n')[0]).toMatch(/^LAYER\s+REGION\s+VERSION/);
    expect(table.out).toContain('arn:aws:lambda:us-east-1:000000000000:layer:lamina-bash:1');
  });

  test('filters as the API does', async () => {
    expect(JSON.parse((await list(['--state', stateDir, '--format', 'json', '--runtime', 'python3.12'])).out)).toEqual([]);
    expect(JSON.parse((await list(['--state', stateDir, '--format', 'json', '--arch', 'arm64', '--q', 'bash'])).out)).toHaveLength(3);
    expect((await list(['--state', stateDir, '--kind', 'python'])).out).toBe('No layers match.');
  });

  test('bad input is a usage error naming what is allowed', async () => {
    await expect(list(['--state', stateDir, '--region', 'nowhere-1'])).rejects.toThrow(/not a region where Lambda runs; valid values: .*eu-west-1/);
    await expect(list(['--state', stateDir, '--arch', 'sparc'])).rejects.toThrow(UsageError);
    await expect(list(['--state', stateDir, '--format', 'yaml'])).rejects.toThrow(/table, json, csv/);
    await expect(list(['--api', 'not a url'])).rejects.toThrow(/not a URL/);
    await expect(list(['--state', path.join(stateDir, 'missing')])).rejects.toThrow(/run `lamina run` first/);
  });

  test('with DynamoDB elsewhere it reads the table there and makes no state folder', async () => {
    const services = await startLocalServices({ stateDir });
    const saved = { s3: process.env.AWS_ENDPOINT_URL_S3, lambda: process.env.AWS_ENDPOINT_URL_LAMBDA };
    // Only DynamoDB is configured, as a user pointing lamina at a remote table would have it.
    delete process.env.AWS_ENDPOINT_URL_S3;
    delete process.env.AWS_ENDPOINT_URL_LAMBDA;
    const nowhere = path.join(stateDir, 'not-a-state-folder');
    try {
      const remote = JSON.parse((await list(['--state', nowhere, '--format', 'json'])).out) as ListingItem[];
      expect(remote).toEqual(JSON.parse((await list(['--state', stateDir, '--format', 'json'])).out));
      expect(remote).toHaveLength(3);
      expect(existsSync(nowhere)).toBe(false);
    } finally {
      Object.assign(process.env, { AWS_ENDPOINT_URL_S3: saved.s3, AWS_ENDPOINT_URL_LAMBDA: saved.lambda });
      await services.close();
    }
  });

  test('--api reads a served listing API and gives what the local store gives', async () => {
    const services = await startLocalServices({ stateDir });
    const deps = localListingDeps();
    const server = await startListingServer({ deps: () => deps });
    try {
      const remote = await collectListing(httpListing(server.url), {});
      expect(remote).toEqual(await collectListing(inProcessListing(deps), {}));
      expect(remote).toHaveLength(3);
      await expect(collectListing(httpListing(server.url), { runtime: 'cobol' })).rejects.toThrow(/runtime "cobol" is not one lamina knows; valid values: /);
      await expect(collectListing(httpListing('http://127.0.0.1:9/'), {})).rejects.toThrow(/cannot reach the listing API/);
    } finally {
      await server.close();
      await services.close();
    }
    const out = await list(['--api', server.url.replace(/:\d+$/, ':9'), '--format', 'json']).catch((error: Error) => error.message);
    expect(out).toMatch(/check --api/);
  });
});
