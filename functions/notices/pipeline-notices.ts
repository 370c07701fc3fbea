import type { EventBus } from '../aws/eventbridge';
import type { Topics } from '../aws/sns';
import type { ParameterStore } from '../aws/ssm-parameters';
import type { ExpiredVersion } from '../expire/expire';
import { mapLimit } from '../shared/handler-runtime';
import { latestParameterName, syncLatestParameter } from '../lookups/latest-parameter';
import type { PublishEvent, ReportEvent, RunSummary } from '../shared/pipeline-events';
import type { PublishRecord } from '../publish/publish';
import type { DeprecatedVersion, LayerStore } from '../store/layer-store';
import type { NoticeStore } from '../store/notice-store';
import type { RunOutcome, VersionItem } from '../../schema/table';
import {
  deletedNotice,
  deprecatedNotice,
  eventOf,
  publishedNotice,
  reminderNotice,
  runFailedNotice,
  type LaminaEvent,
  type Notice,
  type RegionVersion,
  type Superseded,
} from './notices';

const DAY_MS = 24 * 60 * 60 * 1000;
/** How many failures a RunFailed event and message repeat (the run's outcomes hold them all). */
const FAILURES_IN_NOTICE = 20;
/** How many regions' versions Report reads at once for one layer's notice. */
const REGION_QUERIES_AT_ONCE = 8;

/** Where notices go and what they read: AWS services deployed, the embedded stand-ins locally. */
export interface NoticeDeps {
  store: Pick<LayerStore, 'listOutcomes' | 'listVersions' | 'getLatest' | 'listExpired'>;
  notices: Pick<NoticeStore, 'has' | 'put'>;
  events: Pick<EventBus, 'put'>;
  topics: Pick<Topics, 'publish'>;
  /** lamina's own topic and the catalog's `settings.notifications.topics`. */
  topicArns: string[];
  parameters: (region: string) => Pick<ParameterStore, 'get' | 'put' | 'delete'>;
  prefix: string;
  reminderDays: number;
  now?: () => Date;
  log?: (message: string) => void;
}

/**
 * Sends a notice to people once: when it is not recorded yet, to every topic, then records it (so a repeat after a
 * failure sends again rather than never: at least once, as SNS itself delivers). Returns whether it was sent.
 */
export async function sendNotice(notice: Notice, deps: Pick<NoticeDeps, 'notices' | 'topics' | 'topicArns' | 'log'>): Promise<boolean> {
  if (await deps.notices.has(notice)) return false;
  if (notice.toTopics) for (const topicArn of deps.topicArns) await deps.topics.publish(topicArn, notice.title, notice.summary);
  const { toTopics: _toTopics, ...record } = notice;
  await deps.notices.put(record);
  deps.log?.(`notice: ${notice.title}`);
  return true;
}

async function newestVersions(store: NoticeDeps['store'], layerName: string, region: string): Promise<VersionItem[]> {
  return (await store.listVersions(layerName, region, { limit: 2 })).items;
}

/** The pointer's ARN, read strongly consistent: what the SSM lookup must end up holding. */
const pointerArn = (store: NoticeDeps['store'], region: string, layerName: string) => async () =>
  (await store.getLatest(region, layerName, true))?.arn;

/**
 * After Publish, in its region: the SSM parameter holds the latest ARN, and a new version is announced on
 * EventBridge (LayerVersionPublished, and LayerVersionDeprecated for each version it superseded). `record`, what
 * Publish recorded in this invocation, saves reading it back: when its pointer write left this version latest,
 * the lookup starts from its ARN; when PublishLayerVersion made the version just now, the parameter cannot hold it
 * yet, and the events are what the recording did. A retried step (published by an earlier attempt, which may
 * have failed after deprecating) reads the table, so that its events still go out.
 */
export async function afterPublish(event: PublishEvent, outcome: RunOutcome, deps: NoticeDeps, record?: PublishRecord): Promise<LaminaEvent[]> {
  if (outcome.status === 'failed' || outcome.status === 'skipped') return [];
  const { layerName } = event.layer;
  const { region } = event;
  const parameterName = latestParameterName(event.settings.prefix, layerName);
  // The table's latest pointer, not this step's version: a concurrent newer Publish must not be overwritten.
  const known = record?.changes.latest ? { arn: record.version.arn, unwritten: record.publishedNow } : undefined;
  await syncLatestParameter(deps.parameters(region), parameterName, pointerArn(deps.store, region, layerName), known);
  if (outcome.status !== 'published' || outcome.version === undefined) return [];

  const published = record?.publishedNow ? publishedNowFacts(record) : await publishedFacts(deps.store, layerName, region, outcome.version);
  if (!published) return [];
  const { current, superseded } = published;
  const time = new Date(current.publishedAt);
  const events: LaminaEvent[] = [
    eventOf(
      'LayerVersionPublished',
      {
        layerName,
        region,
        version: current.version,
        arn: current.arn,
        layerArn: current.layerArn,
        runtimes: current.runtimes,
        architectures: current.architectures,
        packageVersion: current.packageVersion,
        codeSha256: current.codeSha256,
        publishedAt: current.publishedAt,
        parameterName,
        runId: event.runId,
      },
      time,
      [current.arn],
    ),
  ];
  for (const previous of superseded) {
    events.push(
      eventOf(
        'LayerVersionDeprecated',
        {
          layerName,
          region,
          version: previous.version,
          arn: previous.arn,
          deprecatedAt: previous.deprecatedAt,
          deletionDate: previous.expiresAt,
          replacedBy: { version: current.version, arn: current.arn },
          runId: event.runId,
        },
        new Date(previous.deprecatedAt),
        [previous.arn, current.arn],
      ),
    );
  }
  await deps.events.put(events);
  return events;
}

type PublishedFacts = {
  current: Pick<VersionItem, 'version' | 'arn' | 'layerArn' | 'runtimes' | 'architectures' | 'packageVersion' | 'codeSha256' | 'publishedAt'>;
  superseded: DeprecatedVersion[];
};

/** A version published in this invocation: announced as recorded, with the older versions its recording deprecated. */
function publishedNowFacts({ version, changes }: PublishRecord): PublishedFacts {
  return { current: version, superseded: changes.deprecated.filter((old) => old.version < version.version) };
}

/** A version an earlier attempt published: read back, with the next older version when it is deprecated. */
async function publishedFacts(store: NoticeDeps['store'], layerName: string, region: string, version: number): Promise<PublishedFacts | undefined> {
  const versions = await newestVersions(store, layerName, region);
  const current = versions.find((item) => item.version === version);
  if (!current) return undefined;
  const previous = versions.find((item) => item.version < current.version);
  const superseded =
    previous?.status === 'deprecated' && previous.expiresAt && previous.deprecatedAt
      ? [{ version: previous.version, arn: previous.arn, deprecatedAt: previous.deprecatedAt, expiresAt: previous.expiresAt }]
      : [];
  return { current, superseded };
}

/**
 * After Report: for each layer the run published, one notice (what is new, in which regions) and, when it
 * superseded versions, one deprecation notice for people (what replaces what, where, and the deletion date); a run
 * with failures sends RunFailed (EventBridge and people).
 */
export async function afterReport(event: ReportEvent, summary: RunSummary, deps: NoticeDeps): Promise<Notice[]> {
  const outcomes = await deps.store.listOutcomes(event.runId);
  const sent: Notice[] = [];
  const byLayer = new Map<string, RunOutcome[]>();
  for (const outcome of outcomes) {
    if (outcome.status !== 'published' || !outcome.region || outcome.version === undefined) continue;
    byLayer.set(outcome.layerName, [...(byLayer.get(outcome.layerName) ?? []), outcome]);
  }
  for (const [layerName, published] of [...byLayer].sort(([a], [b]) => a.localeCompare(b))) {
    const regions = published.sort((a, b) => a.region!.localeCompare(b.region!));
    const newVersions: RegionVersion[] = regions.map((o) => ({ region: o.region!, version: o.version!, arn: o.arn! }));
    const superseded: Superseded[] = [];
    // One query per region, independent of each other: a few at once (a layer published to 34 regions).
    // Version 1 supersedes nothing (no version is older): no query for a layer's first publish to a region.
    const previousVersions = await mapLimit(regions, REGION_QUERIES_AT_ONCE, async (outcome) =>
      outcome.version! > 1 ? (await newestVersions(deps.store, layerName, outcome.region!)).find((version) => version.version < outcome.version!) : undefined,
    );
    for (const [index, outcome] of regions.entries()) {
      const previous = previousVersions[index];
      if (previous?.status === 'deprecated' && previous.expiresAt) {
        superseded.push({
          region: previous.region,
          version: previous.version,
          arn: previous.arn,
          deletionDate: previous.expiresAt,
          replacedBy: { version: outcome.version!, arn: outcome.arn! },
        });
      }
    }
    const notices = [publishedNotice(layerName, event.runId, event.startedAt, newVersions)];
    if (superseded.length > 0) notices.push(deprecatedNotice(layerName, event.runId, event.startedAt, superseded, latestParameterName(deps.prefix, layerName)));
    for (const notice of notices) if (await sendNotice(notice, deps)) sent.push(notice);
  }
  if (summary.failed) {
    const failures = outcomes.filter((outcome) => outcome.status === 'failed');
    const detail = {
      runId: summary.runId,
      startedAt: summary.startedAt,
      finishedAt: summary.finishedAt,
      counts: summary.counts,
      failureCount: failures.length,
      failures: failures.slice(0, FAILURES_IN_NOTICE).map(({ layerName, region, reason, detail }) => ({ layerName, region, reason, detail })),
    };
    const notice = runFailedNotice(detail);
    if (!(await deps.notices.has(notice))) await deps.events.put([eventOf('RunFailed', detail, new Date(summary.finishedAt))]);
    if (await sendNotice(notice, deps)) sent.push(notice);
  }
  return sent;
}

async function allExpiring(store: NoticeDeps['store'], until: Date): Promise<VersionItem[]> {
  const items: VersionItem[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await store.listExpired(until, { startKey });
    items.push(...page.items);
    startKey = page.lastKey;
  } while (startKey);
  return items;
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return new Map([...groups].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * After Expire: LayerVersionDeleted per deleted version (EventBridge) and one notice per layer; the SSM parameter
 * of a layer gone from a region is removed (kept pointing at the latest otherwise); and a reminder goes out once
 * for versions whose deletion is `reminderDays` away or less.
 */
export async function afterExpire(result: { expired: ExpiredVersion[] }, deps: NoticeDeps): Promise<Notice[]> {
  const now = deps.now?.() ?? new Date();
  const deleted = result.expired.filter((version) => version.status === 'deleted');
  const sent: Notice[] = [];
  if (deleted.length > 0) {
    await deps.events.put(
      deleted.map((version) =>
        eventOf('LayerVersionDeleted', { layerName: version.layerName, region: version.region, version: version.version, arn: version.arn, deletedAt: now.toISOString(), deletionDate: version.expiresAt }, now, [version.arn]),
      ),
    );
  }
  for (const [layerName, versions] of groupBy(deleted, (version) => version.layerName)) {
    for (const [region, inRegion] of groupBy(versions, (version) => version.region)) {
      const latest = await deps.store.getLatest(region, layerName);
      const newestDeleted = Math.max(...inRegion.map((version) => version.version));
      const name = latestParameterName(deps.prefix, layerName);
      // The layer is gone from the region when no version newer than the deleted ones is left as its latest.
      if (!latest || latest.status === 'deleted' || latest.version <= newestDeleted) await deps.parameters(region).delete(name);
      else await syncLatestParameter(deps.parameters(region), name, pointerArn(deps.store, region, layerName), { arn: latest.arn });
    }
    const notice = deletedNotice(layerName, now.toISOString(), versions.map(({ region, version, arn }) => ({ region, version, arn })));
    if (await sendNotice(notice, deps)) sent.push(notice);
  }

  const horizon = new Date(now.getTime() + deps.reminderDays * DAY_MS);
  const expiring = (await allExpiring(deps.store, horizon)).filter((version) => version.status === 'deprecated' && version.expiresAt && version.expiresAt > now.toISOString());
  for (const [key, versions] of groupBy(expiring, (version) => `${version.layerName} ${version.expiresAt!.slice(0, 10)}`)) {
    const layerName = key.split(' ')[0];
    const first = versions.map((version) => version.expiresAt!).sort()[0];
    // The time it was due, not the time it went out: a repeat makes the same notice.
    const due = new Date(new Date(first).getTime() - deps.reminderDays * DAY_MS).toISOString();
    const daysLeft = Math.max(1, Math.ceil((new Date(first).getTime() - now.getTime()) / DAY_MS));
    const notice = reminderNotice(
      layerName,
      due,
      daysLeft,
      versions.map(({ region, version, arn, expiresAt }) => ({ region, version, arn, deletionDate: expiresAt! })),
    );
    if (await sendNotice(notice, deps)) sent.push(notice);
  }
  return sent;
}
