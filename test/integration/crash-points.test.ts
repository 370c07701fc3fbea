import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { WRITE_POINTS, type WritePoint } from '../../functions/shared/crash-points';
import { LayerStore } from '../../functions/store/layer-store';
import { runLocalPipeline } from '../../local/runner';
import { startLocalServices, type LocalServices } from '../../local/services';
import { ROOT } from '../support/cli';

const REGIONS = ['us-east-1', 'eu-west-1'];
/** `tools` never changes (Plan records it unchanged); `data` gets new content in the run that crashes. */
const CATALOG = `
settings:
  regions: [${REGIONS.join(', ')}]
  expiryDays: 0
  audit: { share: 0, atLeast: 0 }
layers:
  - name: data
    kind: files
    sources: [{ folder: data, to: share }]
    architectures: [x86_64]
  - name: tools
    kind: bash-runtime
`;
const LAYERS = ['lamina-data', 'lamina-tools'];
const LEASE_MS = '1500';

type PublishPath = 'inline' | 'distributed';

/**
 * Every write point, on the path this small run takes (inline), and each publish's on the distributed path too:
 * PlanPublishes writes its items only on that path, and there each publish is a child execution of a region's.
 * The distributed runs lower the inline budget below the run's publishes.
 */
const CASES: [WritePoint, PublishPath][] = [
  ...WRITE_POINTS.map((point): [WritePoint, PublishPath] => [point, point === 'plan-publishes:items' ? 'distributed' : 'inline']),
  ...WRITE_POINTS.filter((point) => point.startsWith('publish:')).map((point): [WritePoint, PublishPath] => [point, 'distributed']),
];

/** A real `lamina run` in its own process, told to die (SIGKILL) right after one write point. */
function crashingRun(dir: string, services: LocalServices, point: WritePoint, publishPath: PublishPath): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'lamina.cjs'), 'run', '--state', path.join(dir, 'crash-scratch')], {
      cwd: dir,
      env: { ...process.env, ...services.env, ...(publishPath === 'distributed' ? { LAMINA_INLINE_PUBLISHES: '0' } : {}), LAMINA_CRASH_AFTER: point, LAMINA_CLAIM_LEASE_MS: LEASE_MS, LAMINA_LOG_FORMAT: 'text' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe('a crash after any write point, then an ordinary run: converged', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lamina-crash-'));
    process.env.LAMINA_LOG_FORMAT = 'silent';
    process.env.LAMINA_CLAIM_LEASE_MS = LEASE_MS;
  });
  afterAll(async () => {
    delete process.env.LAMINA_CLAIM_LEASE_MS;
    await rm(dir, { recursive: true, force: true });
  });

  it.each(CASES)('after %s (%s)', async (point, publishPath) => {
    const stateDir = path.join(dir, `${point.replace(':', '-')}-${publishPath}`);
    const catalogFile = path.join(dir, 'catalog.yaml');
    const services = await startLocalServices({ stateDir, inMemory: true });
    try {
      await mkdir(path.join(dir, 'data'), { recursive: true });
      await writeFile(catalogFile, CATALOG);
      await writeFile(path.join(dir, 'data', 'content.txt'), 'first');
      const first = await runLocalPipeline({}, { stateDir, catalogFile, retryIntervalMs: 5 });
      expect(first.summary.failures).toEqual([]);
      const firstContent = (await services.emulator!.snapshot()).find((v) => v.layerName === 'lamina-data')!.codeSha256;

      await writeFile(path.join(dir, 'data', 'content.txt'), `second, crashing after ${point}`);
      const crashed = await crashingRun(dir, services, point, publishPath);
      expect({ point, signal: crashed.signal, stderr: crashed.signal ? '' : crashed.stderr }).toEqual({ point, signal: 'SIGKILL', stderr: '' });

      const rerun = await runLocalPipeline({}, { stateDir, catalogFile, retryIntervalMs: 5 });
      expect({ point, failures: rerun.summary.failures }).toEqual({ point, failures: [] });
      await expectConverged(services, point, firstContent);
      // A further run has nothing left to do.
      const settled = await runLocalPipeline({}, { stateDir, catalogFile, retryIntervalMs: 5 });
      expect({ point, counts: settled.summary.counts }).toEqual({ point, counts: { published: 0, unchanged: 4, repaired: 0, failed: 0, skipped: 0 } });
    } finally {
      await services.close();
    }
  });

  async function expectConverged(services: LocalServices, point: string, firstContent: string): Promise<void> {
    const store = new LayerStore();
    const live = await services.emulator!.snapshot();
    for (const layerName of LAYERS) {
      for (const region of REGIONS) {
        const inLambda = live.filter((v) => v.layerName === layerName && v.region === region);
        const newest = inLambda.at(-1)!;
        const where = { point, layerName, region };
        // One version in Lambda (the superseded one expired at once, expiryDays 0), the latest, holding the new content.
        expect({ ...where, versions: inLambda.length }).toEqual({ ...where, versions: 1 });
        if (layerName === 'lamina-data') expect({ ...where, version: newest.version, newContent: newest.codeSha256 !== firstContent }).toEqual({ ...where, version: 2, newContent: true });
        const records = (await store.listVersions(layerName, region)).items;
        const latest = records.filter((r) => r.status === 'latest');
        expect({ ...where, latest: latest.map((r) => r.version) }).toEqual({ ...where, latest: [newest.version] });
        expect(await store.getLatest(region, layerName)).toMatchObject({ version: newest.version, arn: newest.layerVersionArn, codeSha256: newest.codeSha256 });
        // Every superseded version was deprecated with an expiry, then deleted in Lambda and in the records.
        for (const old of records.filter((r) => r.version !== newest.version)) {
          expect({ ...where, version: old.version, status: old.status, expiresAt: typeof old.expiresAt }).toEqual({
            ...where,
            version: old.version,
            status: 'deleted',
            expiresAt: 'string',
          });
        }
      }
    }
    // The listing and the static export say what Lambda holds.
    const exported = JSON.parse(await readFile(path.join(services.env.LAMINA_LISTING_DIR, 'regions', 'eu-west-1.json'), 'utf8')) as { items: { arn: string }[] };
    expect(exported.items.map((item) => item.arn).sort()).toEqual(live.filter((v) => v.region === 'eu-west-1').map((v) => v.layerVersionArn).sort());
  }
});
