import { statSync } from 'node:fs';
import { loadCatalog } from '../catalog/catalog';
import { EventBus } from '../aws/eventbridge';
import { Topics } from '../aws/sns';
import { ParameterStore } from '../aws/ssm-parameters';
import { log } from '../shared/log';
import { LayerStore } from '../store/layer-store';
import { NoticeStore } from '../store/notice-store';
import type { NoticeDeps } from './pipeline-notices';

/** What notices need of the catalog's settings; CDK sets it as LAMINA_NOTICES (JSON) on the functions that send them. */
export interface NoticeConfig {
  prefix: string;
  reminderDays: number;
  topics: string[];
}

/** The catalog file last read for its notice settings: read again only when the file is another or has changed. */
let fromCatalog: { identity: string; config: Promise<NoticeConfig> } | undefined;

/**
 * The notice settings: LAMINA_NOTICES when deployed, else the catalog LAMINA_CATALOG names (the local runner sets
 * it). The catalog is parsed once per version of the file, not per invocation: every Publish asks, and parsing a
 * catalog of thousands of targets thousands of times made a local run quadratic.
 */
export async function noticeConfig(env: NodeJS.ProcessEnv = process.env): Promise<NoticeConfig> {
  if (env.LAMINA_NOTICES) return JSON.parse(env.LAMINA_NOTICES) as NoticeConfig;
  const file = env.LAMINA_CATALOG;
  if (!file) throw new Error('neither LAMINA_NOTICES nor LAMINA_CATALOG is set: notices need the prefix, the topics and the reminder days');
  // Synchronous: a stat of a local file is microseconds, less than the thread-pool round trip of an async one.
  const { dev, ino, size, mtimeNs, ctimeNs } = statSync(file, { bigint: true, throwIfNoEntry: false }) ?? { dev: 0n, ino: 0n, size: -1n, mtimeNs: 0n, ctimeNs: 0n };
  const identity = [file, dev, ino, size, mtimeNs, ctimeNs].join(' ');
  if (fromCatalog?.identity !== identity) {
    const config = loadCatalog(file).then(({ settings }) => noticeConfigOf(settings));
    // A failed read is not remembered: the next invocation reads again (and reports the error itself).
    config.catch(() => (fromCatalog?.config === config ? (fromCatalog = undefined) : undefined));
    fromCatalog = { identity, config };
  }
  return fromCatalog.config;
}

export function noticeConfigOf(settings: { prefix: string; notifications: { reminderDays: number; topics: string[] } }): NoticeConfig {
  return { prefix: settings.prefix, reminderDays: settings.notifications.reminderDays, topics: settings.notifications.topics };
}

/**
 * The notices' dependencies over the SDK's endpoint settings: EventBridge's default bus, SNS (lamina's topic,
 * LAMINA_TOPIC_ARN, plus the catalog's), SSM in each region, the table. Made per invocation, over the process's
 * clients (functions/aws/clients.ts: new ones when the local runner points the environment at new services).
 */
export async function noticeDeps(env: NodeJS.ProcessEnv = process.env): Promise<NoticeDeps> {
  const config = await noticeConfig(env);
  const parameters = new Map<string, ParameterStore>();
  return {
    store: new LayerStore(),
    notices: new NoticeStore(),
    events: new EventBus(),
    topics: new Topics(),
    topicArns: [...new Set([env.LAMINA_TOPIC_ARN, ...config.topics].filter((arn): arn is string => Boolean(arn)))],
    parameters: (region) => {
      if (!parameters.has(region)) parameters.set(region, new ParameterStore(region));
      return parameters.get(region)!;
    },
    prefix: config.prefix,
    reminderDays: config.reminderDays,
    log,
  };
}
