import { ListExecutionsCommand, DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadCatalog } from '../../functions/catalog/catalog';
import { localListingDeps, startListingServer } from '../../local/commands/serve';
import { LocalSchedule, ManualClock } from '../../local/schedule';
import { startLocalServices, type LocalServices } from '../../local/services';
import { startPipelineService } from '../../local/stepfunctions-api/pipeline-service';
import { lamina } from '../support/cli';

const catalog = (schedule: string) => `settings:
  prefix: sched
  regions: [eu-west-1]
  schedule: ${schedule}
layers:
  - name: bash
    kind: bash-runtime
`;

describe('the local schedule (EventBridge semantics, UTC, a clock the test moves)', () => {
  it('cron() fires at the matching minutes, weekdays included, and nowhere between', async () => {
    const clock = new ManualClock(new Date('2026-03-06T23:50:00Z')); // a Friday
    const fired: string[] = [];
    const schedule = new LocalSchedule('cron(0/15 * ? * MON-FRI *)', async (time) => void fired.push(time.toISOString()), clock);
    schedule.start();
    await clock.advance(0);
    expect(schedule.state()).toEqual({ expression: 'cron(0/15 * ? * MON-FRI *)', nextRun: '2026-03-09T00:00:00.000Z' });
    await clock.advance(48 * 3600_000); // through the weekend
    expect(fired).toEqual([]);
    await clock.advance(10 * 60_000 + 15 * 60_000); // Monday 00:00 and 00:15
    expect(fired).toEqual(['2026-03-09T00:00:00.000Z', '2026-03-09T00:15:00.000Z']);
    expect(schedule.state()).toMatchObject({ lastRun: '2026-03-09T00:15:00.000Z', nextRun: '2026-03-09T00:30:00.000Z' });
    await schedule.stop();
  });

  describe('in lamina serve', () => {
    let dir: string;
    let services: LocalServices;
    let pipeline: Awaited<ReturnType<typeof startPipelineService>>;
    const clock = new ManualClock(new Date('2026-03-01T10:00:00Z'));
    const sfn = () => new SFNClient({ region: 'us-east-1', endpoint: pipeline.api.url, credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 });
    const names = async () => ((await sfn().send(new ListExecutionsCommand({ stateMachineArn: pipeline.api.stateMachineArn }))).executions ?? []).map((e) => e.name).sort();

    beforeAll(async () => {
      process.env.LAMINA_LOG_FORMAT = 'silent';
      dir = await mkdtemp(path.join(tmpdir(), 'lamina-schedule-'));
      await writeFile(path.join(dir, 'catalog.yaml'), catalog('rate(5 minutes)'));
      services = await startLocalServices({ stateDir: dir, inMemory: true });
      pipeline = await startPipelineService({ stateDir: dir, catalog: await loadCatalog(path.join(dir, 'catalog.yaml')), services, clock, retryIntervalMs: 5 });
    });
    afterAll(async () => {
      await pipeline?.close();
      await services?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('rate() starts a run every interval from when serve started, through the Step Functions API, as the rule would', async () => {
      await clock.advance(0);
      expect(pipeline.schedule.state().nextRun).toBe('2026-03-01T10:05:00.000Z');
      await clock.advance(5 * 60_000 - 1000);
      expect(await names()).toEqual([]);
      await clock.advance(1000);
      expect(await names()).toEqual(['scheduled-2026-03-01T10-05-00-000Z']);
      await pipeline.api.idle();
      const run = await sfn().send(new DescribeExecutionCommand({ executionArn: `${pipeline.api.stateMachineArn.replace(':stateMachine:', ':execution:')}:scheduled-2026-03-01T10-05-00-000Z` }));
      expect(run).toMatchObject({ status: 'SUCCEEDED', input: '{}' });
      expect(JSON.parse(run.output!).summary.counts.published).toBe(1);
      await clock.advance(4 * 60_000);
      expect(await names()).toHaveLength(1);
      await clock.advance(60_000);
      expect(await names()).toEqual(['scheduled-2026-03-01T10-05-00-000Z', 'scheduled-2026-03-01T10-10-00-000Z']);
      await pipeline.api.idle();
    });

    it('the listing says when it ran last and runs next', async () => {
      const deps = { ...localListingDeps(), schedule: async () => pipeline.schedule.state() };
      const server = await startListingServer({ deps: () => deps });
      try {
        const body = await (await fetch(`${server.url}/v1/schedule`)).json();
        expect(body).toEqual({ expression: 'rate(5 minutes)', timezone: 'UTC', lastRun: '2026-03-01T10:10:00.000Z', nextRun: '2026-03-01T10:15:00.000Z' });
      } finally {
        await server.close();
      }
    });
  });

  it('a schedule EventBridge rejects stops lamina serve before anything starts (exit 2)', async () => {
    const bad = await mkdtemp(path.join(tmpdir(), 'lamina-schedule-bad-'));
    try {
      await writeFile(path.join(bad, 'catalog.yaml'), catalog('rate(1 days)'));
      const served = await lamina(['serve', '--port', '0', '--state', bad], bad);
      expect(served.code).toBe(2);
      expect(served.stderr).toContain('settings.schedule');
      expect(existsSync(path.join(bad, 'serve.json'))).toBe(false);
      expect(existsSync(path.join(bad, 'dynamodb'))).toBe(false);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});
