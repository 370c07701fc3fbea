import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { sharedClient } from './clients';
import { CLIENT_SETTINGS } from './endpoints';

/** PutEvents takes at most 10 entries a call. */
const BATCH = 10;

/** Events on the account's default event bus. */
export class EventBus {
  constructor(private readonly client = sharedClient('EVENTBRIDGE', '', () => new EventBridgeClient({ ...CLIENT_SETTINGS }))) {}

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
