import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { readState, signedRegion, writeState } from '../aws-protocol/json-service';
import { AppendLog } from '../state-folder/append-log';

/**
 * A stand-in for the SNS operations lamina uses (CreateTopic, Subscribe, ListSubscriptionsByTopic, Publish) on SNS's
 * query protocol (form-encoded POST, XML answers and `ErrorResponse`s), with its limits (Subject: up to 100 printable
 * ASCII characters, no line break; Message: up to 256 KB). Nothing is delivered: each published message is appended to
 * `messages.jsonl`, which tests and people read.
 */

export interface PublishedMessage {
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  Timestamp: string;
}

export interface Subscription {
  SubscriptionArn: string;
  TopicArn: string;
  Protocol: string;
  Endpoint: string;
}

export interface SnsEmulator {
  url: string;
  messagesFile: string;
  messages(): Promise<PublishedMessage[]>;
  subscriptions(): Promise<Subscription[]>;
  /** Makes a topic exist as if it had been created elsewhere (another account's topic a catalog lists). */
  addTopic(topicArn: string): Promise<void>;
  close(): Promise<void>;
}

const NS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const MAX_MESSAGE_BYTES = 262_144;
const PROTOCOLS = ['http', 'https', 'email', 'email-json', 'sms', 'sqs', 'application', 'lambda', 'firehose'];

class SnsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const escape = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function answer(action: string, result: Record<string, string> | string): string {
  const inner = typeof result === 'string' ? result : Object.entries(result).map(([k, v]) => `<${k}>${escape(v)}</${k}>`).join('');
  return `<${action}Response xmlns="${NS}"><${action}Result>${inner}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;
}

function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('error', reject);
    request.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
  });
}

/** Reads a message log written by the stand-in. */
export async function readMessageLog(file: string): Promise<PublishedMessage[]> {
  try {
    return (await fs.readFile(file, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as PublishedMessage);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export async function startSnsEmulator(options: { dataDir: string; accountId?: string; defaultRegion?: string }): Promise<SnsEmulator> {
  const account = options.accountId ?? '000000000000';
  await fs.mkdir(options.dataDir, { recursive: true });
  const stateFile = path.join(options.dataDir, 'topics.json');
  const messagesFile = path.join(options.dataDir, 'messages.jsonl');
  const state = await readState<{ topics: string[]; subscriptions: Subscription[] }>(stateFile, { topics: [], subscriptions: [] });
  let writes = Promise.resolve();
  const messageLog = new AppendLog(messagesFile);
  const persist = () => (writes = writes.then(() => writeState(stateFile, state)));
  const topicOf = (form: URLSearchParams) => {
    const arn = form.get('TopicArn') ?? form.get('TargetArn');
    if (!arn) throw new SnsError('InvalidParameter', 'Invalid parameter: TopicArn');
    if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(arn)) throw new SnsError('InvalidParameter', 'Invalid parameter: TopicArn');
    if (!state.topics.includes(arn)) throw new SnsError('NotFound', 'Topic does not exist', 404);
    return arn;
  };

  const actions: Record<string, (form: URLSearchParams, region: string) => Promise<string>> = {
    async CreateTopic(form, region) {
      const name = form.get('Name') ?? '';
      if (!/^[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(name)) {
        throw new SnsError('InvalidParameter', 'Invalid parameter: Topic Name');
      }
      const arn = `arn:aws:sns:${region}:${account}:${name}`;
      if (!state.topics.includes(arn)) {
        state.topics.push(arn);
        await persist();
      }
      return answer('CreateTopic', { TopicArn: arn });
    },
    async Subscribe(form) {
      const topic = topicOf(form);
      const protocol = form.get('Protocol') ?? '';
      const endpoint = form.get('Endpoint') ?? '';
      if (!PROTOCOLS.includes(protocol)) throw new SnsError('InvalidParameter', `Invalid parameter: Amazon SNS does not support this protocol string: ${protocol}`);
      if (protocol.startsWith('email') && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(endpoint)) throw new SnsError('InvalidParameter', 'Invalid parameter: Email address');
      let subscription = state.subscriptions.find((s) => s.TopicArn === topic && s.Protocol === protocol && s.Endpoint === endpoint);
      if (!subscription) {
        subscription = { SubscriptionArn: `${topic}:${randomUUID()}`, TopicArn: topic, Protocol: protocol, Endpoint: endpoint };
        state.subscriptions.push(subscription);
        await persist();
      }
      // Email endpoints must confirm first, as on AWS.
      return answer('Subscribe', { SubscriptionArn: protocol.startsWith('email') ? 'pending confirmation' : subscription.SubscriptionArn });
    },
    async ListSubscriptionsByTopic(form) {
      const topic = topicOf(form);
      const members = state.subscriptions
        .filter((s) => s.TopicArn === topic)
        .map((s) => `<member><SubscriptionArn>${escape(s.SubscriptionArn)}</SubscriptionArn><Owner>${account}</Owner><Protocol>${s.Protocol}</Protocol><Endpoint>${escape(s.Endpoint)}</Endpoint><TopicArn>${escape(s.TopicArn)}</TopicArn></member>`)
        .join('');
      return answer('ListSubscriptionsByTopic', `<Subscriptions>${members}</Subscriptions>`);
    },
    async Publish(form) {
      const topic = topicOf(form);
      const message = form.get('Message');
      if (message === null || message === '') throw new SnsError('InvalidParameter', 'Invalid parameter: Empty message');
      if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) throw new SnsError('InvalidParameter', 'Invalid parameter: Message too long');
      const subject = form.get('Subject') ?? undefined;
      if (subject !== undefined && (subject.length === 0 || subject.length > 100 || !/^[\x20-\x7e]+$/.test(subject))) {
        throw new SnsError('InvalidParameter', 'Invalid parameter: Subject');
      }
      const published: PublishedMessage = { MessageId: randomUUID(), TopicArn: topic, Subject: subject, Message: message, Timestamp: new Date().toISOString() };
      await messageLog.append(`${JSON.stringify(published)}\n`);
      return answer('Publish', { MessageId: published.MessageId });
    },
  };

  const server = createServer((request, response) => {
    void (async () => {
      const send = (status: number, body: string) => {
        response.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': randomUUID() });
        response.end(body);
      };
      try {
        const form = await readForm(request);
        const action = actions[form.get('Action') ?? ''];
        if (!action) throw new SnsError('InvalidAction', `The action ${form.get('Action')} is not valid for this endpoint.`);
        send(200, await action(form, signedRegion(request, options.defaultRegion ?? 'us-east-1')));
      } catch (error) {
        const known = error instanceof SnsError ? error : new SnsError('InternalError', String((error as Error)?.message ?? error), 500);
        send(
          known.status,
          `<ErrorResponse xmlns="${NS}"><Error><Type>${known.status < 500 ? 'Sender' : 'Receiver'}</Type><Code>${known.code}</Code><Message>${escape(known.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
        );
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    messagesFile,
    messages: () => readMessageLog(messagesFile),
    subscriptions: async () => [...state.subscriptions],
    addTopic: async (topicArn) => {
      if (!state.topics.includes(topicArn)) state.topics.push(topicArn);
      await persist();
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await Promise.all([writes, messageLog.idle()]);
    },
  };
}
