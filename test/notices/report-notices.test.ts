import { afterReport, type NoticeDeps } from '../../functions/notices/pipeline-notices';
import type { Notice } from '../../functions/notices/notices';
import type { RunOutcome, VersionItem } from '../../schema/table';

const arn = (region: string, version: number) => `arn:aws:lambda:${region}:1:layer:lamina-bash:${version}`;

/** Report's notices over a store that records which regions' versions it was asked for. */
function reportDeps(outcomes: RunOutcome[], versions: Partial<VersionItem>[]) {
  const asked: string[] = [];
  const sent: Notice[] = [];
  const deps: NoticeDeps = {
    store: {
      listOutcomes: async () => outcomes,
      listVersions: async (_layerName, region) => {
        asked.push(region);
        return { items: versions.filter((v) => v.region === region).sort((a, b) => b.version! - a.version!) as VersionItem[] };
      },
      getLatest: async () => undefined,
      listExpired: async () => ({ items: [] }),
    },
    notices: { has: async () => false, put: async (notice) => void sent.push(notice as Notice) },
    events: { put: async () => undefined },
    topics: { publish: async () => undefined },
    topicArns: [],
    parameters: () => ({ get: async () => undefined, put: async () => undefined, delete: async () => undefined }),
    prefix: 'lamina',
    reminderDays: 7,
  };
  return { deps, asked, sent };
}

const published = (region: string, version: number): RunOutcome => ({ layerName: 'lamina-bash', region, status: 'published', version, arn: arn(region, version) });
const summary = { runId: 'r', startedAt: 't', finishedAt: 't', counts: { published: 2, unchanged: 0, repaired: 0, failed: 0, skipped: 0 }, targets: 2, failures: [], failed: false };

describe("Report's notices", () => {
  it('reads no older version for a version 1 (nothing is older), and finds what a later version superseded', async () => {
    const { deps, asked, sent } = reportDeps(
      [published('eu-west-1', 1), published('us-east-1', 4)],
      [
        { region: 'us-east-1', version: 4, arn: arn('us-east-1', 4), status: 'latest' },
        { region: 'us-east-1', version: 3, arn: arn('us-east-1', 3), status: 'deprecated', expiresAt: '2026-04-01T00:00:00.000Z' },
      ],
    );
    await afterReport({ runId: 'r', startedAt: 't', manifestKey: null, builds: null }, summary, deps);
    expect(asked).toEqual(['us-east-1']);
    expect(sent.map((notice) => notice.noticeType)).toEqual(['LayerVersionPublished', 'LayerVersionDeprecated']);
    expect(sent[1].summary).toContain('us-east-1: version 3 is replaced by version 4');
  });
});
