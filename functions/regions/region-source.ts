import { enabledRegionsOfAccount } from '../aws/account-regions';
import { lambdaRegionsFromSsm } from '../aws/ssm-regions';
import type { SkippedRegion } from '../shared/pipeline-events';
import { OUTCOME_REASONS } from '../../schema/table';
import { LAMBDA_REGIONS } from './lambda-regions';

/** Where Plan learns which regions exist for Lambda and which the publishing account may use. */
export interface RegionSource {
  /** Every region where Lambda runs. */
  lambdaRegions(): Promise<string[]>;
  /** The regions the account has enabled (opt-in ones included once enabled); undefined when all are usable. */
  enabledRegions(): Promise<ReadonlySet<string> | undefined>;
}

/** The built-in list, every region usable: local runs (the embedded services answer in any region). */
export const BUILTIN_REGION_SOURCE: RegionSource = {
  lambdaRegions: async () => [...LAMBDA_REGIONS],
  enabledRegions: async () => undefined,
};

/** Deployed: SSM's public list of Lambda's regions, and account:ListRegions for the ones this account enabled. */
export const AWS_REGION_SOURCE: RegionSource = {
  lambdaRegions: () => lambdaRegionsFromSsm(),
  enabledRegions: () => enabledRegionsOfAccount(),
};

/** LAMINA_REGIONS_SOURCE=builtin (the local runner sets it) or AWS. */
export function regionSourceFromEnvironment(): RegionSource {
  return process.env.LAMINA_REGIONS_SOURCE === 'builtin' ? BUILTIN_REGION_SOURCE : AWS_REGION_SOURCE;
}

/**
 * The regions of `wanted` the account can publish to, and the others, each named with the reason: an opt-in
 * region the account has not enabled would fail on every run, so the run leaves it out and says so.
 */
export function splitEnabled(wanted: readonly string[], enabled: ReadonlySet<string> | undefined): { regions: string[]; skipped: SkippedRegion[] } {
  if (!enabled) return { regions: [...wanted], skipped: [] };
  const skipped = wanted
    .filter((region) => !enabled.has(region))
    .map((region) => ({ region, reason: 'region-not-enabled' as const, detail: OUTCOME_REASONS['region-not-enabled'] }));
  return { regions: wanted.filter((region) => enabled.has(region)), skipped };
}
