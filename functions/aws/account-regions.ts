import { AccountClient, ListRegionsCommand } from '@aws-sdk/client-account';
import { sharedClient } from './clients';
import { CLIENT_SETTINGS } from './endpoints';

/**
 * The regions the calling account may use (account:ListRegions): opt-in regions it has enabled and the regions
 * enabled by default. Opt-in regions not enabled (or still enabling or disabling) are left out.
 */
export async function enabledRegionsOfAccount(client = sharedClient('ACCOUNT', '', () => new AccountClient({ ...CLIENT_SETTINGS }))): Promise<Set<string>> {
  const enabled = new Set<string>();
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListRegionsCommand({ RegionOptStatusContains: ['ENABLED', 'ENABLED_BY_DEFAULT'], MaxResults: 50, NextToken: nextToken }),
    );
    for (const region of page.Regions ?? []) if (region.RegionName) enabled.add(region.RegionName);
    nextToken = page.NextToken;
  } while (nextToken);
  return enabled;
}
