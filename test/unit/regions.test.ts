import { plan } from '../../functions/plan/plan';
import { DEFAULT_ENABLED_REGIONS, LAMBDA_REGIONS } from '../../functions/regions/lambda-regions';
import { splitEnabled, type RegionSource } from '../../functions/regions/region-source';
import { report } from '../../functions/report/report';
import type { RunManifest } from '../../functions/shared/pipeline-events';
import { parseCatalog } from '../../functions/catalog/catalog';

describe('regions', () => {
  it('knows the 34 commercial regions where Lambda runs, ap-southeast-6 among them', () => {
    expect(LAMBDA_REGIONS).toHaveLength(34);
    expect(new Set(LAMBDA_REGIONS).size).toBe(34);
    expect(LAMBDA_REGIONS).toContain('ap-southeast-6');
    for (const region of DEFAULT_ENABLED_REGIONS) expect(LAMBDA_REGIONS).toContain(region);
  });

  it('leaves out, and names, the opt-in regions the account has not enabled', () => {
    const enabled = new Set([...DEFAULT_ENABLED_REGIONS, 'eu-south-1']);
    const { regions, skipped } = splitEnabled(LAMBDA_REGIONS, enabled);
    expect(regions).toContain('eu-south-1');
    expect(regions).toContain('us-east-1');
    expect(regions).not.toContain('af-south-1');
    expect(regions.length + skipped.length).toBe(34);
    expect(skipped).toContainEqual({ region: 'af-south-1', reason: 'region-not-enabled', detail: expect.stringMatching(/not enabled/) });
    expect(splitEnabled(['us-east-1'], undefined)).toEqual({ regions: ['us-east-1'], skipped: [] });
  });

  it('Plan with regions: all publishes to the enabled ones, and the summary names the skipped ones', async () => {
    // A fake region source: every Lambda region exists; the account enabled the default ones and me-central-1.
    const source: RegionSource = {
      lambdaRegions: async () => [...LAMBDA_REGIONS],
      enabledRegions: async () => new Set([...DEFAULT_ENABLED_REGIONS, 'me-central-1']),
    };
    const texts = new Map<string, string>();
    const catalog = parseCatalog('settings:\n  regions: all\nlayers:\n  - name: bash\n    kind: bash-runtime\n', 'catalog.yaml');
    const result = await plan(
      { runId: 'r1' },
      {
        catalog,
        store: { getInput: async () => undefined, listLatestInRegion: async () => ({ items: [] }), putOutcome: async () => undefined },
        lambdaFor: () => ({ latestVersions: async () => new Map() }),
        artifacts: { putText: async (key, body) => void texts.set(key, body) },
        lambdaRegions: source.lambdaRegions,
        enabledRegions: source.enabledRegions,
        tmpDir: '/tmp/unused',
      },
    );
    const manifest = JSON.parse(texts.get(result.manifestKey)!) as RunManifest;
    expect(manifest.regions.sort()).toEqual([...DEFAULT_ENABLED_REGIONS, 'me-central-1'].sort());
    const notEnabled = LAMBDA_REGIONS.filter((region) => !manifest.regions.includes(region));
    expect(notEnabled).toHaveLength(34 - DEFAULT_ENABLED_REGIONS.length - 1);
    expect(manifest.skippedRegions.map((skip) => skip.region).sort()).toEqual([...notEnabled].sort());
    expect(new Set(manifest.skippedRegions.map((skip) => skip.reason))).toEqual(new Set(['region-not-enabled']));
    // Plan's output names no region at all: the lists are in the manifest.
    expect(JSON.stringify(result)).not.toMatch(/us-east-1|af-south-1/);

    const summary = await report(
      { runId: 'r1', startedAt: '2026-01-01T00:00:00.000Z', manifestKey: result.manifestKey, builds: null },
      {
        artifacts: { getText: async (key) => texts.get(key)! },
        store: { listOutcomes: async () => [], putRun: async () => undefined, getRegions: async () => [], putRegions: async () => undefined, putOutcome: async () => undefined },
      },
    );
    expect(summary.skippedRegions?.map((skip) => skip.region).sort()).toEqual([...notEnabled].sort());
  });
});
