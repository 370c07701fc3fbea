import type { LayerApi } from '../aws/lambda-layers';
import type { Key, LayerStore } from '../store/layer-store';
import { mapLimit, reasonOf } from '../shared/handler-runtime';
import type { VersionItem } from '../../schema/table';

/** One version this invocation deleted or failed to delete: for the notices, never returned to the state machine. */
export interface ExpiredVersion {
  layerName: string;
  region: string;
  version: number;
  arn: string;
  expiresAt?: string;
  status: 'deleted' | 'failed';
  error?: string;
}

/**
 * Where Expire is: what the state machine carries from one Expire invocation to the next. Counts and a cursor
 * only, the same few bytes however many versions expire (each deletion is in the table and the log).
 */
export interface ExpireProgress {
  deleted: number;
  failed: number;
  /** Expire invocations so far in this run. */
  invocations: number;
  /** False while due versions may remain: the state machine invokes Expire again. */
  done: boolean;
  /** Where the next invocation resumes the expiry index (past versions whose deletion failed). */
  cursor?: Key;
}

export interface ExpireDeps {
  store: Pick<LayerStore, 'listExpired' | 'markDeleted'>;
  apiFor: (region: string) => Pick<LayerApi, 'deleteVersion'>;
  log?: (message: string) => void;
  now?: () => Date;
  /** Stop starting pages after this long, leaving time to return before the function's timeout (default 10 min). */
  budgetMs?: number;
  /** Versions per page of the expiry index. */
  pageSize?: number;
  /** Milliseconds clock (tests). */
  clock?: () => number;
}

/** Expire's Lambda timeout is 15 minutes: pages start until 10 have passed, so the last one finishes in time. */
export const EXPIRE_BUDGET_MS = 10 * 60 * 1000;
export const EXPIRE_PAGE_SIZE = 500;

/** Deletes one page of due versions: regions in parallel, each region's deletions one after another (paced by LayerApi). */
async function expirePage(items: VersionItem[], deps: ExpireDeps, now: Date, expired: ExpiredVersion[]): Promise<{ deleted: number; failed: number }> {
  const byRegion = new Map<string, VersionItem[]>();
  for (const item of items) byRegion.set(item.region, [...(byRegion.get(item.region) ?? []), item]);
  let deleted = 0;
  let failed = 0;
  await mapLimit([...byRegion], byRegion.size, async ([region, versions]) => {
    const api = deps.apiFor(region);
    for (const item of versions) {
      const base = { layerName: item.layerName, region: item.region, version: item.version, arn: item.arn, expiresAt: item.expiresAt };
      try {
        await api.deleteVersion(item.layerName, item.version);
        await deps.store.markDeleted(item.layerName, item.region, item.version, now);
        deleted++;
        expired.push({ ...base, status: 'deleted' });
        deps.log?.(`deleted ${item.arn} (expired ${item.expiresAt})`);
      } catch (error) {
        failed++;
        expired.push({ ...base, status: 'failed', error: reasonOf(error) });
        deps.log?.(`could not delete ${item.arn}: ${reasonOf(error)}`);
      }
    }
  });
  return { deleted, failed };
}

/**
 * Deletes deprecated versions whose expiry date has passed (an explicit query on the sparse expiry index, not
 * TTL, so deletion happens in Lambda first and in the table second), page by page until the time budget is
 * spent; returns counts and where to resume (and, for the notices, the versions it handled). One failed deletion does not stop the rest, and is not retried in
 * this run (the cursor moves past it; the next run tries again).
 */
export async function expire(
  previous: Partial<ExpireProgress> | undefined,
  deps: ExpireDeps,
): Promise<ExpireProgress & { expired: ExpiredVersion[] }> {
  const now = deps.now?.() ?? new Date();
  const clock = deps.clock ?? Date.now;
  const started = clock();
  const budget = deps.budgetMs ?? EXPIRE_BUDGET_MS;
  const progress: ExpireProgress = {
    deleted: previous?.deleted ?? 0,
    failed: previous?.failed ?? 0,
    invocations: (previous?.invocations ?? 0) + 1,
    done: false,
  };
  const expired: ExpiredVersion[] = [];
  let cursor = previous?.cursor;
  do {
    const page = await deps.store.listExpired(now, { startKey: cursor, limit: deps.pageSize ?? EXPIRE_PAGE_SIZE });
    const counts = await expirePage(page.items, deps, now, expired);
    progress.deleted += counts.deleted;
    progress.failed += counts.failed;
    if (!page.lastKey) {
      progress.done = true;
      return { ...progress, expired };
    }
    // The next page starts after this one: past the versions whose deletion failed (they stay in the index), so
    // that the loop ends; the next run tries them again.
    cursor = page.lastKey;
  } while (clock() - started < budget);
  return { ...progress, cursor, expired };
}
