import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput, type PutEventsCommandOutput, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { sharedClient } from './clients';
import { CLIENT_SETTINGS } from './endpoints';
import { LeanClient, answerObject, orderedBody, type LeanOperation, jsonOperation } from './lean-json-request';

/** PutEventsRequestEntry's members in its schema's order; Time goes as the SDK writes a timestamp here: epoch seconds. */
const ENTRY_MEMBERS = ['Time', 'Source', 'Resources', 'DetailType', 'Detail', 'EventBusName', 'TraceHeader'] as const satisfies readonly (keyof PutEventsRequestEntry)[];

function entryBody(entry: PutEventsRequestEntry): string | undefined {
  const time = entry.Time;
  if (time !== undefined && !(time instanceof Date && Number.isFinite(time.getTime()))) return undefined;
  return orderedBody(time ? { ...entry, Time: time.getTime() / 1000 } : entry, ENTRY_MEMBERS as readonly (keyof PutEventsRequestEntry & string)[]);
}

/** PutEvents (Publish's and Report's events) as a lean request (functions/aws/lean-json-request.ts). An EndpointId (a global endpoint, SigV4a) is the SDK's. */
export const PUT_EVENTS_OPERATION: LeanOperation<PutEventsCommandInput, PutEventsCommandOutput> = jsonOperation({
  command: PutEventsCommand,
  target: 'AWSEvents.PutEvents',
  contentType: 'application/x-amz-json-1.1',
  body(input) {
    if (Object.keys(input).some((name) => name !== 'Entries' && input[name as keyof PutEventsCommandInput] !== undefined) || !Array.isArray(input.Entries)) return undefined;
    const entries = input.Entries.map(entryBody);
    return entries.every((entry) => entry !== undefined) ? `{"Entries":[${entries.join(',')}]}` : undefined;
  },
  output(answer) {
    const object = answerObject(answer);
    if (!object || (object.FailedEntryCount !== undefined && typeof object.FailedEntryCount !== 'number')) return undefined;
    if (object.Entries !== undefined && !(Array.isArray(object.Entries) && object.Entries.every((entry) => answerObject(entry)))) return undefined;
    const entries = (object.Entries as Record<string, unknown>[] | undefined)?.map((entry) => {
      const picked: Record<string, string> = {};
      for (const name of ['EventId', 'ErrorCode', 'ErrorMessage']) if (typeof entry[name] === 'string') picked[name] = entry[name] as string;
      return picked;
    });
    return {
      $metadata: { httpStatusCode: 200 },
      ...(object.FailedEntryCount !== undefined ? { FailedEntryCount: object.FailedEntryCount as number } : {}),
      ...(entries ? { Entries: entries } : {}),
    };
  },
});

/** PutEvents takes at most 10 entries a call. */
const BATCH = 10;

/** Events on the account's default event bus. */
export class EventBus {
  constructor(
    private readonly client: Pick<EventBridgeClient, 'send'> = sharedClient(
      'EVENTBRIDGE',
      '',
      () => new LeanClient(new EventBridgeClient({ ...CLIENT_SETTINGS }), [PUT_EVENTS_OPERATION]),
    ),
  ) {}

  /** Puts every entry; a partial failure (FailedEntryCount > 0) is an error naming the first entry refused. */
  async put(entries: PutEventsRequestEntry[]): Promise<void> {
    for (let start = 0; start < entries.length; start += BATCH) {
      const batch = entries.slice(start, start + BATCH);
      const result = await this.client.send(new PutEventsCommand({ Entries: batch }));
      if (result.FailedEntryCount) {
        const index = result.Entries?.findIndex((entry) => entry.ErrorCode) ?? -1;
        const failed = result.Entries?.[index];
        throw new Error(
          `EventBridge refused ${result.FailedEntryCount} of ${batch.length} events (${batch[index]?.DetailType}: ${failed?.ErrorCode} ${failed?.ErrorMessage})`,
        );
      }
    }
  }
}
