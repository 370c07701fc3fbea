import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AwsServiceError, startJsonService, type JsonService } from '../aws-protocol/json-service';
import { AppendLog } from '../state-folder/append-log';

/**
 * A stand-in for EventBridge's PutEvents on the default bus (AWS JSON 1.1, `AWSEvents.PutEvents`), with its limits
 * (1-10 entries, 256 KB a request) and per-entry errors. Each accepted entry is appended to `events.jsonl` in the
 * envelope a rule's target receives (`version, id, detail-type, source, account, time, region, resources, detail`),
 * so tests and people read what was sent.
 */

export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export interface EventBridgeEmulator extends JsonService {
  /** The file every accepted event is appended to. */
  logFile: string;
  /** Every event accepted so far (from the log, so also those of earlier runs on the same state folder). */
  events(): Promise<EventEnvelope[]>;
}

export const PUT_EVENTS_LIMITS = { entries: 10, requestBytes: 262_144 } as const;

/** Reads an event log written by the stand-in. */
export async function readEventLog(file: string): Promise<EventEnvelope[]> {
  try {
    const text = await fs.readFile(file, 'utf8');
    return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as EventEnvelope);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** PutEvents' own size rule: Source, DetailType, Detail and Resources in UTF-8, plus 14 bytes for a given Time. */
function entrySize(entry: Record<string, unknown>): number {
  let size = entry.Time ? 14 : 0;
  for (const key of ['Source', 'DetailType', 'Detail']) if (typeof entry[key] === 'string') size += Buffer.byteLength(entry[key] as string);
  for (const resource of (entry.Resources as string[] | undefined) ?? []) size += Buffer.byteLength(resource);
  return size;
}

export async function startEventBridgeEmulator(options: { dataDir: string; accountId?: string; defaultRegion?: string }): Promise<EventBridgeEmulator> {
  const account = options.accountId ?? '000000000000';
  const logFile = path.join(options.dataDir, 'events.jsonl');
  await fs.mkdir(options.dataDir, { recursive: true });
  const log = new AppendLog(logFile);
  const service = await startJsonService({
    targetPrefix: 'AWSEvents',
    version: '1.1',
    defaultRegion: options.defaultRegion ?? 'us-east-1',
    operations: {
      async PutEvents(input, { region }) {
        const entries = input.Entries;
        if (!Array.isArray(entries) || entries.length < 1 || entries.length > PUT_EVENTS_LIMITS.entries) {
          throw new AwsServiceError('ValidationException', `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${PUT_EVENTS_LIMITS.entries}`);
        }
        if (entries.reduce((total: number, entry: Record<string, unknown>) => total + entrySize(entry), 0) > PUT_EVENTS_LIMITS.requestBytes) {
          throw new AwsServiceError('ValidationException', 'Total size of the entries in the request is over the limit.');
        }
        const defaultBus = new Set(['default', `arn:aws:events:${region}:${account}:event-bus/default`]);
        const lines: string[] = [];
        const results: Record<string, unknown>[] = entries.map((entry: Record<string, any>) => {
          const invalid = (field: string) => ({ ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.` });
          if (typeof entry.Source !== 'string' || entry.Source === '') return invalid('Source');
          if (typeof entry.DetailType !== 'string' || entry.DetailType === '') return invalid('DetailType');
          if (typeof entry.Detail !== 'string' || entry.Detail === '') return invalid('Detail');
          let detail: unknown;
          try {
            detail = JSON.parse(entry.Detail);
          } catch {
            detail = undefined;
          }
          if (!detail || typeof detail !== 'object' || Array.isArray(detail)) {
            return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
          }
          if (entry.EventBusName && !defaultBus.has(entry.EventBusName)) {
            return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${entry.EventBusName} does not exist.` };
          }
          const id = randomUUID();
          const time = entry.Time ? new Date(Number(entry.Time) * 1000) : new Date();
          const envelope: EventEnvelope = {
            version: '0',
            id,
            'detail-type': entry.DetailType,
            source: entry.Source,
            account,
            time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
            region,
            resources: entry.Resources ?? [],
            detail: detail as Record<string, unknown>,
          };
          lines.push(JSON.stringify(envelope));
          return { EventId: id };
        });
        if (lines.length > 0) {
          await log.append(lines.map((line) => `${line}\n`).join(''));
        }
        return { FailedEntryCount: results.filter((result: Record<string, unknown>) => 'ErrorCode' in result).length, Entries: results };
      },
    },
  });
  return {
    ...service,
    logFile,
    events: () => readEventLog(logFile),
    close: async () => {
      await service.close();
      await log.idle();
    },
  };
}
