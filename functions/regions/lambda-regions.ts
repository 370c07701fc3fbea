/**
 * The commercial regions where Lambda runs, as SSM's public parameters under
 * /aws/service/global-infrastructure/services/lambda/regions list them (GovCloud and China partitions excluded:
 * they need their own accounts): 34 in 2026. The deployed pipeline asks SSM (and account:ListRegions for the opt-in
 * regions the account enabled: functions/regions/region-source.ts); this list serves local runs and validation.
 */
export const LAMBDA_REGIONS = [
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
] as const;

/** Regions a new account can use without opting in. */
export const DEFAULT_ENABLED_REGIONS = [
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ca-central-1',
  'eu-central-1',
  'eu-north-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
] as const;

const REGION_SHAPE = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

export function isKnownLambdaRegion(region: string, known: readonly string[] = LAMBDA_REGIONS): boolean {
  return known.includes(region);
}

export function looksLikeRegion(region: string): boolean {
  return REGION_SHAPE.test(region);
}
