import { createHash } from 'node:crypto';
import type { RunCounts, RunOutcome } from '../../schema/table';

/**
 * What lamina tells the world. Machines get EventBridge events on the default bus (source `lamina`, one per layer
 * version and region, or per failed run); people get notices (SNS and the Atom feeds), one per layer and run. The
 * detail shapes below are the documented contract (functions/notices/README.md).
 */
export const EVENT_SOURCE = 'lamina';

export interface LayerVersionPublishedDetail {
  layerName: string;
  region: string;
  version: number;
  arn: string;
  layerArn: string;
  runtimes: string[];
  architectures: string[];
  packageVersion?: string;
  codeSha256: string;
  publishedAt: string;
  /** The SSM parameter holding the layer's latest ARN in the region. */
  parameterName: string;
  runId: string;
}

export interface LayerVersionDeprecatedDetail {
  layerName: string;
  region: string;
  version: number;
  arn: string;
  deprecatedAt: string;
  /** When Expire deletes it (ISO 8601, UTC). */
  deletionDate: string;
  replacedBy: { version: number; arn: string };
  runId: string;
}

export interface LayerVersionDeletedDetail {
  layerName: string;
  region: string;
  version: number;
  arn: string;
  deletedAt: string;
  /** The deletion date it had been given. */
  deletionDate?: string;
}

export interface RunFailedDetail {
  runId: string;
  startedAt: string;
  finishedAt: string;
  counts: RunCounts;
  failureCount: number;
  /** The first failures (up to 20): layer, region, reason code and message. */
  failures: Pick<RunOutcome, 'layerName' | 'region' | 'reason' | 'detail'>[];
}

export interface EventDetails {
  LayerVersionPublished: LayerVersionPublishedDetail;
  LayerVersionDeprecated: LayerVersionDeprecatedDetail;
  LayerVersionDeleted: LayerVersionDeletedDetail;
  RunFailed: RunFailedDetail;
}
export type EventType = keyof EventDetails;
export const EVENT_TYPES: EventType[] = ['LayerVersionPublished', 'LayerVersionDeprecated', 'LayerVersionDeleted', 'RunFailed'];

/** One event in PutEvents' entry shape. */
export interface LaminaEvent<T extends EventType = EventType> {
  Source: typeof EVENT_SOURCE;
  DetailType: T;
  Detail: string;
  Resources: string[];
  Time: Date;
}

export function eventOf<T extends EventType>(type: T, detail: EventDetails[T], time: Date, resources: string[] = []): LaminaEvent<T> {
  return { Source: EVENT_SOURCE, DetailType: type, Detail: JSON.stringify(detail), Resources: resources, Time: time };
}

/** Kinds of notice for people; each is also an entry of the Atom feeds. */
export type NoticeType = 'LayerVersionPublished' | 'LayerVersionDeprecated' | 'LayerVersionDeletionReminder' | 'LayerVersionDeleted' | 'RunFailed';

/** One version of a layer in one region, as notices name it. */
export interface RegionVersion {
  region: string;
  version: number;
  arn: string;
}

export interface Notice {
  /** Deterministic: a repeated step makes the same id, finds it recorded and sends nothing twice. */
  noticeId: string;
  noticeType: NoticeType;
  time: string;
  layerName?: string;
  /** A line: the SNS subject (at most 100 printable ASCII characters) and the feed entry's title. */
  title: string;
  /** The message for people: the SNS body and the feed entry's content. */
  summary: string;
  /** Whether it goes to SNS (people who subscribed) or only to the feeds. */
  toTopics: boolean;
  detail: Record<string, unknown>;
}

/** A short stable digest of the parts that make a notice what it is. */
export function digestOf(parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 12);
}

/** SNS subjects are at most 100 printable ASCII characters with no line break. */
export function subjectOf(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= 100 ? ascii : `${ascii.slice(0, 97)}...`;
}

const day = (iso: string) => iso.slice(0, 10);
const regionList = (versions: RegionVersion[]) => versions.map((v) => `  ${v.region}: version ${v.version} (${v.arn})`).join('\n');

export function publishedNotice(layerName: string, runId: string, time: string, published: RegionVersion[]): Notice {
  const versions = [...new Set(published.map((v) => v.version))].join(', ');
  return {
    noticeId: `Published:${layerName}:${runId}`,
    noticeType: 'LayerVersionPublished',
    time,
    layerName,
    title: subjectOf(`lamina: ${layerName} version ${versions} published in ${published.length} region${published.length === 1 ? '' : 's'}`),
    summary: `${layerName} has a new version:\n${regionList(published)}\n`,
    toTopics: false,
    detail: { layerName, runId, published },
  };
}

export interface Superseded extends RegionVersion {
  deletionDate: string;
  replacedBy: { version: number; arn: string };
}

export function deprecatedNotice(layerName: string, runId: string, time: string, superseded: Superseded[], parameterName: string): Notice {
  const dates = [...new Set(superseded.map((v) => day(v.deletionDate)))].sort();
  const lines = superseded.map((v) => `  ${v.region}: version ${v.version} is replaced by version ${v.replacedBy.version} (${v.replacedBy.arn}); deleted on ${day(v.deletionDate)}`);
  return {
    noticeId: `Deprecated:${layerName}:${runId}`,
    noticeType: 'LayerVersionDeprecated',
    time,
    layerName,
    title: subjectOf(`lamina: ${layerName} superseded in ${superseded.length} region${superseded.length === 1 ? '' : 's'}; old versions deleted on ${dates[0]}`),
    summary:
      `A new version of ${layerName} replaces the one you may use. The old versions stay usable until they are deleted:\n` +
      `${lines.join('\n')}\n\nMove functions that use them to the new ARN before then (the SSM parameter ${parameterName} in each region always holds it).\n`,
    toTopics: true,
    detail: { layerName, runId, superseded },
  };
}

export function reminderNotice(layerName: string, time: string, daysLeft: number, expiring: (RegionVersion & { deletionDate: string })[]): Notice {
  const dates = [...new Set(expiring.map((v) => day(v.deletionDate)))].sort();
  return {
    noticeId: `Reminder:${layerName}:${dates[0]}:${digestOf(expiring.map((v) => `${v.region}:${v.version}`).sort())}`,
    noticeType: 'LayerVersionDeletionReminder',
    time,
    layerName,
    title: subjectOf(`lamina: ${layerName} old versions are deleted on ${dates[0]} (in ${daysLeft} day${daysLeft === 1 ? '' : 's'})`),
    summary: `These versions of ${layerName} are deleted on ${dates.join(', ')}:\n${regionList(expiring)}\n\nFunctions that still use them cannot be updated with them after that date.\n`,
    toTopics: true,
    detail: { layerName, deletionDates: dates, expiring },
  };
}

export function deletedNotice(layerName: string, time: string, deleted: RegionVersion[]): Notice {
  return {
    noticeId: `Deleted:${layerName}:${digestOf(deleted.map((v) => `${v.region}:${v.version}`).sort())}`,
    noticeType: 'LayerVersionDeleted',
    time,
    layerName,
    title: subjectOf(`lamina: ${layerName} deleted ${deleted.length} superseded version${deleted.length === 1 ? '' : 's'}`),
    summary: `These superseded versions of ${layerName} were deleted:\n${regionList(deleted)}\n`,
    toTopics: true,
    detail: { layerName, deleted },
  };
}

export function runFailedNotice(detail: RunFailedDetail): Notice {
  const lines = detail.failures.map((f) => `  ${f.layerName}${f.region ? ` ${f.region}` : ''}: ${f.detail ?? f.reason ?? 'failed'}`);
  const more = detail.failureCount > detail.failures.length ? `\n  ... and ${detail.failureCount - detail.failures.length} more` : '';
  return {
    noticeId: `RunFailed:${detail.runId}`,
    noticeType: 'RunFailed',
    time: detail.startedAt,
    title: subjectOf(`lamina: run ${detail.runId} failed for ${detail.failureCount} target${detail.failureCount === 1 ? '' : 's'}`),
    summary:
      `Run ${detail.runId} (started ${detail.startedAt}, finished ${detail.finishedAt}): ${detail.counts.published} published, ` +
      `${detail.counts.unchanged} unchanged, ${detail.counts.repaired} repaired, ${detail.counts.skipped} skipped, ${detail.counts.failed} failed.\n${lines.join('\n')}${more}\n`,
    toTopics: true,
    detail: detail as unknown as Record<string, unknown>,
  };
}
