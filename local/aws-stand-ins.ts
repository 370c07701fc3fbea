import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import * as path from 'node:path';
import type { Notifications } from '../functions/notices/settings';
import { startEventBridgeEmulator, type EventBridgeEmulator } from './eventbridge-emulator';
import { startSnsEmulator, type SnsEmulator } from './sns-emulator';
import { startSsmEmulator, type SsmEmulator } from './ssm-emulator';

/** lamina's own SNS topic, locally (the deployed one is the stack's). */
export const LOCAL_TOPIC_NAME = 'lamina-notices';

/** The stand-ins for the services notices and lookups use, each started only where no endpoint is configured. */
export interface StandIns {
  ssm?: SsmEmulator;
  eventBridge?: EventBridgeEmulator;
  sns?: SnsEmulator;
}

const configured = (service: string) => process.env[`AWS_ENDPOINT_URL_${service}`] ?? process.env.AWS_ENDPOINT_URL;

/**
 * Starts SSM, EventBridge and SNS stand-ins with state under `stateDir` (ssm/, eventbridge/, sns/), returning the
 * endpoint variables to set; `close` stops them. A service already configured (LocalStack, AWS) is left alone.
 */
export async function startStandIns(stateDir: string): Promise<{ standIns: StandIns; env: Record<string, string>; started: string[]; reused: string[]; close(): Promise<void> }> {
  const standIns: StandIns = {};
  const env: Record<string, string> = {};
  const started: string[] = [];
  const reused: string[] = [];
  const closers: (() => Promise<void>)[] = [];
  try {
    const services: [key: keyof StandIns, variable: string, label: string, start: () => Promise<SsmEmulator | EventBridgeEmulator | SnsEmulator>][] = [
      ['ssm', 'SSM', 'SSM Parameter Store', () => startSsmEmulator({ dataDir: path.join(stateDir, 'ssm') })],
      ['eventBridge', 'EVENTBRIDGE', 'EventBridge', () => startEventBridgeEmulator({ dataDir: path.join(stateDir, 'eventbridge') })],
      ['sns', 'SNS', 'SNS', () => startSnsEmulator({ dataDir: path.join(stateDir, 'sns') })],
    ];
    for (const [key, variable, label, start] of services) {
      if (configured(variable)) {
        reused.push(`${label} at ${configured(variable)}`);
        continue;
      }
      const service = await start();
      (standIns as Record<string, unknown>)[key] = service;
      env[`AWS_ENDPOINT_URL_${variable}`] = service.url;
      closers.push(() => service.close());
      started.push(`${label} (lamina stand-in) at ${service.url}`);
    }
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw error;
  }
  return { standIns, env, started, reused, close: async () => { for (const close of closers.reverse()) await close().catch(() => undefined); } };
}

/** Creates lamina's topic (on whatever SNS the SDK reaches) and returns its ARN. */
export async function ensureTopic(): Promise<string> {
  const client = new SNSClient({});
  try {
    return (await client.send(new CreateTopicCommand({ Name: LOCAL_TOPIC_NAME }))).TopicArn!;
  } finally {
    client.destroy();
  }
}

/**
 * The local counterpart of what CDK deploys from `settings.notifications`: the emails subscribed to lamina's topic,
 * and the catalog's own topics present on the SNS stand-in (they live in other accounts on AWS).
 */
export async function applyNotificationSettings(standIns: StandIns, topicArn: string, notifications: Notifications): Promise<void> {
  for (const topic of notifications.topics) await standIns.sns?.addTopic(topic);
  if (notifications.emails.length === 0) return;
  const client = new SNSClient({});
  try {
    for (const email of notifications.emails) await client.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: email }));
  } finally {
    client.destroy();
  }
}
