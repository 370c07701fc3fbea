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

/** The notice settings: LAMINA_NOTICES when deployed, else the catalog LAMINA_CATALOG names (the local runner sets it). */
export async function noticeConfig(env: NodeJS.ProcessEnv = process.env): Promise<NoticeConfig> {
  if (env.LAMINA_NOTICES) return JSON.parse(env.LAMINA_NOTICES) as NoticeConfig;
  if (!env.LAMINA_CATALOG) throw new Error('neither LAMINA_NOTICES nor LAMINA_CATALOG is set: notices need the prefix, the topics and the reminder days');
  const { settings } = await loadCatalog(env.LAMINA_CATALOG);
  return noticeConfigOf(settings);
}

export function noticeConfigOf(settings: { prefix: string; notifications: { reminderDays: number; topics: string[] } }): NoticeConfig {
  return { prefix: settings.prefix, reminderDays: settings.notifications.reminderDays, topics: settings.notifications.topics };
}

/**
 * The notices' dependencies over the SDK's endpoint settings: EventBridge's default bus, SNS (lamina's topic,
 * LAMINA_TOPIC_ARN, plus the catalog's), SSM in each region, the table. Made per invocation: the local runner
 * points the environment at new services between runs.
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
