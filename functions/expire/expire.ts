import type { LayerApi } from '../aws/lambda-layers';
import type { LayerStore } from '../store/layer-store';
import { reasonOf } from '../shared/handler-runtime';

export interface ExpiredVersion {
  layerName: string;
  region: string;
  version: number;
  arn: string;
  expiresAt?: string;
  status: 'deleted' | 'failed';
  error?: string;
}

export interface ExpireDeps {
  store: Pick<LayerStore, 'listExpired' | 'markDeleted'>;
  apiFor: (region: string) => Pick<LayerApi, 'deleteVersion'>;
  log?: (message: string) => void;
  now?: () => Date;
}

/**
 * Deletes deprecated versions whose expiry date has passed (an explicit query on the sparse expiry index, not
 * TTL, so deletion happens in Lambda first and in the table second). One failed deletion does not stop the rest.
 */
export async function expire(deps: ExpireDeps): Promise<{ expired: ExpiredVersion[] }> {
  const now = deps.now?.() ?? new Date();
  const expired: ExpiredVersion[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.store.listExpired(now, { startKey });
    for (const item of page.items) {
      const base = { layerName: item.layerName, region: item.region, version: item.version, arn: item.arn, expiresAt: item.expiresAt };
      try {
        await deps.apiFor(item.region).deleteVersion(item.layerName, item.version);
        await deps.store.markDeleted(item.layerName, item.region, item.version, now);
        expired.push({ ...base, status: 'deleted' });
        deps.log?.(`deleted ${item.arn} (expired ${item.expiresAt})`);
      } catch (error) {
        expired.push({ ...base, status: 'failed', error: reasonOf(error) });
        deps.log?.(`could not delete ${item.arn}: ${reasonOf(error)}`);
      }
    }
    startKey = page.lastKey;
  } while (startKey);
  return { expired };
}
