import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** What a handler gets besides its event: a private scratch folder (/tmp on Lambda, a fresh folder locally). */
export interface HandlerRuntime {
  tmpDir: string;
  /** Cache kept between invocations where there is one (locally `.lamina/cache`); inside tmpDir otherwise. */
  cacheDir?: string;
}

export type HandlerRun<Event, Result> = (event: Event, runtime: HandlerRuntime) => Promise<Result>;

/**
 * Wraps a handler's `run` as a Lambda handler: each invocation works in its own folder under /tmp, removed
 * afterwards, because a warm container keeps /tmp (512 MB by default) between invocations.
 */
export function lambdaHandler<Event, Result>(run: HandlerRun<Event, Result>): (event: Event) => Promise<Result> {
  return async (event) => {
    const tmpDir = await mkdtemp(path.join(tmpdir(), 'lamina-'));
    try {
      return await run(event, { tmpDir });
    } finally {
      // A failed clean-up must not hide the handler's own result or error.
      await rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
    }
  };
}

/**
 * Maps items through `work` with at most `limit` in flight, keeping order. After a failure no new item starts,
 * and the first error is thrown only once the items in flight have settled, so that a caller cleaning up after
 * the failure never races with work still writing.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && !failure) {
      const index = next++;
      try {
        results[index] = await work(items[index], index);
      } catch (error) {
        failure ??= { error };
      }
    }
  });
  await Promise.all(workers);
  if (failure) throw failure.error;
  return results;
}

/** A one-line reason from any thrown value. */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * The promise `cache` holds for `key`, or a new one from `load`, shared by every caller while it is pending. A
 * rejected promise leaves the cache, so the next caller tries again.
 */
export function sharedPromise<K, V>(cache: Map<K, Promise<V>>, key: K, load: () => Promise<V>): Promise<V> {
  let found = cache.get(key);
  if (!found) {
    found = load();
    cache.set(key, found);
    found.catch(() => cache.delete(key));
  }
  return found;
}
