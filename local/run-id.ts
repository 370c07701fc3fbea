import { randomUUID } from 'node:crypto';

/** A run id that sorts by time and is a valid execution name: the local runner's and `lamina start`'s. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
}
