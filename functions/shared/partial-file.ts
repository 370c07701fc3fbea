import { randomBytes } from 'node:crypto';

/**
 * A name beside `dest` for a download in progress, unique per call: two builds fetching the same file at once
 * (same process, same millisecond) must never share one, or the first rename leaves the second with nothing.
 */
export function partialPathFor(dest: string): string {
  return `${dest}.${process.pid}.${randomBytes(8).toString('hex')}.partial`;
}
