import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeDeterministicZip } from '../../functions/archive/deterministic-zip';
import { ArtifactStore } from '../../functions/aws/artifacts';
import { documentClient, tableName } from '../../functions/aws/dynamodb';
import { LayerApi } from '../../functions/aws/lambda-layers';
import { expire } from '../../functions/expire/expire';
import { noticeDeps } from '../../functions/notices/environment';
import { afterExpire } from '../../functions/notices/pipeline-notices';
import { run as publishHandler } from '../../functions/publish/handler';
import { manifestKeyOf } from '../../functions/plan/plan';
import { run as reportHandler } from '../../functions/report/handler';
import type { PublishEvent } from '../../functions/shared/pipeline-events';
import { LayerStore } from '../../functions/store/layer-store';
import { NoticeStore } from '../../functions/store/notice-store';
import { EXPIRY_PARTITION, GSI2, expiryIndexKey, versionKey } from '../../schema/table';
import type { EventEnvelope } from '../../local/eventbridge-emulator';
import { applyNotificationSettings } from '../../local/aws-stand-ins';
import { startLocalPipeline, type LocalPipeline } from '../support/local-pipeline';
import { parseAtom } from '../support/atom';
import { localListingDeps, startListingServer } from '../../local/commands/serve';
import { readFile } from 'node:fs/promises';

const REGIONS = ['us-east-1', 'eu-west-1'];
const DAY = 24 * 60 * 60 * 1000;
const catalog = (extra = '') => `
settings:
  prefix: lamina
  regions: [${REGIONS.join(', ')}]
  expiryDays: 10
  notifications:
    emails: [ops@example.com]
    topics: [arn:aws:sns:eu-west-1:123456789012:platform-team]
    reminderDays: 3
layers:
  - name: bash
    kind: bash-runtime
${extra}`;

describe('notices and lookups on the embedded default (real handlers, SSM, EventBridge and SNS stand-ins)', () => {
  let pipeline: LocalPipeline;
  const ssm = (region: string) => new SSMClient({ region, endpoint: pipeline.services.env.AWS_ENDPOINT_URL_SSM, maxAttempts: 1 });
  const parameter = async (region: string, name = '/lamina/layers/lamina-bash/latest') => {
    try {
      return (await ssm(region).send(new GetParameterCommand({ Name: name }))).Parameter;
    } catch (error) {
      return (error as Error).name;
    }
  };
  /** The region a notice is about (events all go to the default bus of the stack's region). */
  const about = (event: EventEnvelope) => (event.detail as { region?: string }).region;
  const events = async (type?: string): Promise<EventEnvelope[]> =>
    (await pipeline.services.standIns.eventBridge!.events()).filter((event) => !type || event['detail-type'] === type);
  const messages = () => pipeline.services.standIns.sns!.messages();
  let seenEvents = 0;
  let seenMessages = 0;
  /** Events and messages sent since the last call. */
  const sinceLast = async () => {
    const all = await events();
    const sent = await messages();
    const fresh = { events: all.slice(seenEvents), messages: sent.slice(seenMessages) };
    seenEvents = all.length;
    seenMessages = sent.length;
    return fresh;
  };
  let deletionDate: string;

  beforeAll(async () => {
    pipeline = await startLocalPipeline(catalog());
    await applyNotificationSettings(pipeline.services.standIns, pipeline.services.env.LAMINA_TOPIC_ARN, {
      emails: ['ops@example.com'],
      topics: ['arn:aws:sns:eu-west-1:123456789012:platform-team'],
      reminderDays: 3,
    });
  });
  afterAll(() => pipeline?.close());

  it('a first publish announces each region\'s version and writes the SSM lookup', async () => {
    const { summary } = await pipeline.run();
    expect(summary.counts.published).toBe(2);
    for (const region of REGIONS) {
      expect(await parameter(region)).toMatchObject({ Value: `arn:aws:lambda:${region}:000000000000:layer:lamina-bash:1`, Type: 'String', ARN: `arn:aws:ssm:${region}:000000000000:parameter/lamina/layers/lamina-bash/latest` });
    }
    const { events: sent, messages: mailed } = await sinceLast();
    expect(sent.map((event) => `${event['detail-type']} ${about(event)} ${event.source} ${event.region}`).sort()).toEqual(['LayerVersionPublished eu-west-1 lamina us-east-1', 'LayerVersionPublished us-east-1 lamina us-east-1']);
    const published = sent.find((event) => about(event) === 'eu-west-1')!;
    expect(published.detail).toMatchObject({ layerName: 'lamina-bash', region: 'eu-west-1', version: 1, arn: 'arn:aws:lambda:eu-west-1:000000000000:layer:lamina-bash:1', parameterName: '/lamina/layers/lamina-bash/latest', runId: summary.runId, runtimes: ['provided.al2023', 'provided.al2'] });
    expect(published.resources).toEqual(['arn:aws:lambda:eu-west-1:000000000000:layer:lamina-bash:1']);
    // A first version supersedes nothing: people hear nothing, the feed lists it.
    expect(mailed).toEqual([]);
    expect((await new NoticeStore().recent(10, 'lamina-bash')).map((notice) => notice.noticeType)).toEqual(['LayerVersionPublished']);
    expect(await pipeline.services.standIns.sns!.subscriptions()).toEqual([expect.objectContaining({ Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: pipeline.services.env.LAMINA_TOPIC_ARN })]);
  });

  it('publishing v2 sends Published and Deprecated with the deletion date, one message to people, and moves the lookup', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lamina-v2-'));
    await mkdir(path.join(dir, 'root'));
    await writeFile(path.join(dir, 'root', 'bootstrap'), '#!/bin/sh\necho v2\n', { mode: 0o755 });
    const zip = await writeDeterministicZip(path.join(dir, 'root'), path.join(dir, 'layer.zip'));
    const artifactKey = `layers/lamina-bash/${zip.sha256}.zip`;
    await ArtifactStore.fromEnvironment().putFile(artifactKey, path.join(dir, 'layer.zip'));
    const runId = 'run-v2';
    const startedAt = new Date().toISOString();
    const before = Date.now();
    for (const region of REGIONS) {
      const event: PublishEvent = {
        runId,
        region,
        settings: { prefix: 'lamina', visibility: 'public', expiryDays: 10 },
        layer: {
          layerName: 'lamina-bash', description: 'v2', sha256: zip.sha256, codeSha256: zip.codeSha256, size: zip.size, unzippedSize: 20, artifactKey,
          entry: 'bash', kind: 'bash-runtime', runtimes: ['provided.al2023'], architectures: ['x86_64', 'arm64'],
        },
      };
      expect(await publishHandler(event)).toMatchObject({ status: 'published', version: 2 });
    }
    // Plan's manifest names the run's regions for Report.
    await ArtifactStore.fromEnvironment().putText(manifestKeyOf(runId), JSON.stringify({ runId, regions: REGIONS, skippedRegions: [], buildCount: 1 }), 'application/json');
    await reportHandler({ runId, startedAt, manifestKey: manifestKeyOf(runId), builds: null });
    const { events: sent, messages: mailed } = await sinceLast();
    expect(sent.map((event) => `${event['detail-type']} ${about(event)}`).sort()).toEqual([
      'LayerVersionDeprecated eu-west-1', 'LayerVersionDeprecated us-east-1', 'LayerVersionPublished eu-west-1', 'LayerVersionPublished us-east-1',
    ]);
    const store = new LayerStore();
    for (const event of sent.filter((e) => e['detail-type'] === 'LayerVersionDeprecated')) {
      const v1 = await store.getVersion('lamina-bash', about(event)!, 1);
      const detail = event.detail as { deletionDate: string; deprecatedAt: string; version: number; replacedBy: { version: number; arn: string } };
      expect(detail).toMatchObject({ version: 1, replacedBy: { version: 2, arn: `arn:aws:lambda:${about(event)}:000000000000:layer:lamina-bash:2` }, deletionDate: v1!.expiresAt });
      expect(new Date(detail.deletionDate).getTime() - new Date(detail.deprecatedAt).getTime()).toBe(10 * DAY);
      expect(new Date(detail.deprecatedAt).getTime()).toBeGreaterThanOrEqual(before - 1000);
      deletionDate = detail.deletionDate;
    }
    // One message per topic (lamina's and the catalog's), naming the replacement, the regions and the date.
    expect(mailed.map((m) => m.TopicArn).sort()).toEqual([pipeline.services.env.LAMINA_TOPIC_ARN, 'arn:aws:sns:eu-west-1:123456789012:platform-team'].sort());
    for (const message of mailed) {
      expect(message.Subject).toMatch(/^lamina: lamina-bash superseded in 2 regions; old versions deleted on \d{4}-\d{2}-\d{2}$/);
      expect(message.Message).toContain(`us-east-1: version 1 is replaced by version 2 (arn:aws:lambda:us-east-1:000000000000:layer:lamina-bash:2); deleted on ${deletionDate.slice(0, 10)}`);
      expect(message.Message).toContain('eu-west-1: version 1 is replaced by version 2');
    }
    for (const region of REGIONS) expect(await parameter(region)).toMatchObject({ Value: `arn:aws:lambda:${region}:000000000000:layer:lamina-bash:2`, Version: 2 });
    // The Report handler repeated (Step Functions retries it) sends nothing twice.
    await reportHandler({ runId, startedAt, manifestKey: manifestKeyOf(runId), builds: null });
    expect(await sinceLast()).toEqual({ events: [], messages: [] });
  });

  it('the reminder goes out once, reminderDays before the deletion, and not earlier', async () => {
    const expireAt = async (now: Date) => afterExpire(await expire(undefined, { store: new LayerStore(), apiFor: (region: string) => new LayerApi(region), now: () => now }), { ...(await noticeDeps()), now: () => now });
    const deletion = new Date(deletionDate).getTime();
    expect(await expireAt(new Date(deletion - 3 * DAY - 60_000))).toEqual([]);
    expect(await sinceLast()).toEqual({ events: [], messages: [] });
    const sent = await expireAt(new Date(deletion - 3 * DAY + 60_000));
    expect(sent.map((notice) => notice.noticeType)).toEqual(['LayerVersionDeletionReminder']);
    const { messages: mailed, events: nothing } = await sinceLast();
    expect(nothing).toEqual([]);
    expect(mailed).toHaveLength(2);
    expect(mailed[0].Subject).toBe(`lamina: lamina-bash old versions are deleted on ${deletionDate.slice(0, 10)} (in 3 days)`);
    expect(await expireAt(new Date(deletion - DAY))).toEqual([]);
    expect(await sinceLast()).toEqual({ events: [], messages: [] });
  });

  it('Expire sends LayerVersionDeleted, keeps the lookup on the latest, and removes it once the layer is gone', async () => {
    const now = new Date(new Date(deletionDate).getTime() + 60_000);
    const result = await expire(undefined, { store: new LayerStore(), apiFor: (region: string) => new LayerApi(region), now: () => now });
    expect(result.expired.map((v) => `${v.region} ${v.version} ${v.status}`).sort()).toEqual(['eu-west-1 1 deleted', 'us-east-1 1 deleted']);
    await afterExpire(result, { ...(await noticeDeps()), now: () => now });
    const { events: sent, messages: mailed } = await sinceLast();
    expect(sent.map((e) => `${e['detail-type']} ${about(e)} ${(e.detail as { version: number }).version}`).sort()).toEqual(['LayerVersionDeleted eu-west-1 1', 'LayerVersionDeleted us-east-1 1']);
    for (const event of sent) {
      const v1 = await new LayerStore().getVersion('lamina-bash', about(event)!, 1);
      expect(event.detail).toMatchObject({ layerName: 'lamina-bash', deletedAt: now.toISOString(), deletionDate: v1!.expiresAt, arn: v1!.arn });
      expect(v1!.status).toBe('deleted');
    }
    expect(mailed.map((m) => m.Subject)).toEqual(['lamina: lamina-bash deleted 2 superseded versions', 'lamina: lamina-bash deleted 2 superseded versions']);
    for (const region of REGIONS) expect(await parameter(region)).toMatchObject({ Value: `arn:aws:lambda:${region}:000000000000:layer:lamina-bash:2` });

    // The layer goes from us-east-1 (its latest version deprecated, as when its entry leaves the catalog): once Expire
    // deletes that version, the region's lookup goes with it, and eu-west-1's stays.
    const gone = '2026-01-01T00:00:00.000Z';
    const index = expiryIndexKey(gone, 'lamina-bash', 'us-east-1', 2);
    await documentClient().send(new UpdateCommand({
      TableName: tableName(),
      Key: versionKey('lamina-bash', 'us-east-1', 2),
      UpdateExpression: 'SET #status = :deprecated, deprecatedAt = :at, expiresAt = :at, #g2pk = :g2pk, #g2sk = :g2sk',
      ExpressionAttributeNames: { '#status': 'status', '#g2pk': GSI2.pk, '#g2sk': GSI2.sk },
      ExpressionAttributeValues: { ':deprecated': 'deprecated', ':at': gone, ':g2pk': EXPIRY_PARTITION, ':g2sk': index.gsi2sk },
    }));
    const later = new Date(now.getTime() + DAY);
    await afterExpire(await expire(undefined, { store: new LayerStore(), apiFor: (region: string) => new LayerApi(region), now: () => later }), { ...(await noticeDeps()), now: () => later });
    expect(await parameter('us-east-1')).toBe('ParameterNotFound');
    expect(await parameter('eu-west-1')).toMatchObject({ Value: 'arn:aws:lambda:eu-west-1:000000000000:layer:lamina-bash:2' });
    expect((await sinceLast()).events.map((e) => `${e['detail-type']} ${about(e)}`)).toEqual(['LayerVersionDeleted us-east-1']);
  });

  it('a run with a failure sends RunFailed to EventBridge and to people', async () => {
    await pipeline.writeCatalog(catalog('  - name: tools\n    kind: bash-runtime\n'));
    pipeline.services.emulator!.injectFault({ region: 'eu-west-1', operation: 'PublishLayerVersion', layerName: 'lamina-tools', errorType: 'ServiceException', statusCode: 500, message: 'Lambda is down here' });
    try {
      const { summary } = await pipeline.run({ only: ['tools'] });
      expect(summary.failed).toBe(true);
      const { events: sent, messages: mailed } = await sinceLast();
      const failed = sent.filter((e) => e['detail-type'] === 'RunFailed');
      expect(failed).toHaveLength(1);
      expect(failed[0].detail).toMatchObject({ runId: summary.runId, failureCount: 1, counts: { published: 1, failed: 1 }, failures: [{ layerName: 'lamina-tools', region: 'eu-west-1' }] });
      expect((failed[0].detail as { failures: { detail: string }[] }).failures[0].detail).toContain('Lambda is down here');
      const failure = mailed.filter((m) => m.Subject === `lamina: run ${summary.runId} failed for 1 target`);
      expect(failure).toHaveLength(2);
      expect(failure[0].Message).toContain('lamina-tools eu-west-1: ServiceException: Lambda is down here');
      expect(await parameter('us-east-1', '/lamina/layers/lamina-tools/latest')).toMatchObject({ Value: 'arn:aws:lambda:us-east-1:000000000000:layer:lamina-tools:1' });
      expect(await parameter('eu-west-1', '/lamina/layers/lamina-tools/latest')).toBe('ParameterNotFound');
    } finally {
      pipeline.services.emulator!.clearFaults();
    }
  });

  it('the Atom feeds (API and static export) are valid and list the notices; layers.json gives every latest ARN', async () => {
    const deps = localListingDeps();
    const server = await startListingServer({ deps: () => deps });
    try {
      const all = await fetch(`${server.url}/v1/feed.atom`);
      expect(all.status).toBe(200);
      expect(all.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
      expect(all.headers.get('access-control-allow-origin')).toBe('*');
      const feed = parseAtom(await all.text());
      expect(feed.selfLink).toBe(`${server.url}/v1/feed.atom`);
      expect(new Set(feed.entries.map((entry) => entry.category))).toEqual(
        new Set(['LayerVersionPublished', 'LayerVersionDeprecated', 'LayerVersionDeletionReminder', 'LayerVersionDeleted', 'RunFailed']),
      );
      // Newest first.
      expect(feed.entries.map((entry) => entry.updated)).toEqual([...feed.entries.map((entry) => entry.updated)].sort().reverse());
      const bash = parseAtom(await (await fetch(`${server.url}/v1/layers/lamina-bash/feed.atom`)).text());
      expect(bash.entries.map((entry) => entry.category).sort()).toEqual(['LayerVersionDeleted', 'LayerVersionDeleted', 'LayerVersionDeletionReminder', 'LayerVersionDeprecated', 'LayerVersionPublished', 'LayerVersionPublished']);
      expect(bash.entries.find((entry) => entry.category === 'LayerVersionDeprecated')!.content).toContain(`deleted on ${deletionDate.slice(0, 10)}`);
      expect(parseAtom(await (await fetch(`${server.url}/v1/layers/lamina-nothing/feed.atom`)).text()).entries).toEqual([]);
      expect((await fetch(`${server.url}/v1/layers/not%20a%20name/feed.atom`)).status).toBe(400);
    } finally {
      await server.close();
    }
    // The last run's Report wrote the static export after its notices.
    const listing = path.join(pipeline.stateDir, 'listing');
    const exported = parseAtom(await readFile(path.join(listing, 'feed.atom'), 'utf8'));
    // Expire ran on a test clock days ahead, so its notices sort first; the run's failure is there too.
    expect(exported.entries.map((entry) => entry.category)).toContain('RunFailed');
    expect(exported.entries.map((entry) => entry.category)).toContain('LayerVersionDeprecated');
    const tools = parseAtom(await readFile(path.join(listing, 'layers', 'lamina-tools', 'feed.atom'), 'utf8'));
    expect(tools.entries.map((entry) => entry.category)).toEqual(['LayerVersionPublished']);
    const layers = JSON.parse(await readFile(path.join(listing, 'layers.json'), 'utf8'));
    expect(layers.layers['lamina-tools']).toEqual({
      'us-east-1': { arn: 'arn:aws:lambda:us-east-1:000000000000:layer:lamina-tools:1', version: 1, runtimes: ['provided.al2023', 'provided.al2'], architectures: ['x86_64', 'arm64'] },
    });
    expect(layers.layers['lamina-bash']['eu-west-1']).toMatchObject({ arn: 'arn:aws:lambda:eu-west-1:000000000000:layer:lamina-bash:2', version: 2 });
  });
});
