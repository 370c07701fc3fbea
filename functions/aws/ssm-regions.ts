import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { sharedClient } from './clients';
import { CLIENT_SETTINGS } from './endpoints';

const LAMBDA_REGIONS_PATH = '/aws/service/global-infrastructure/services/lambda/regions';

/** Reads the regions where Lambda runs from SSM's public global-infrastructure parameters. */
export async function lambdaRegionsFromSsm(client = sharedClient('SSM', '', () => new SSMClient({ ...CLIENT_SETTINGS }))): Promise<string[]> {
  const regions: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new GetParametersByPathCommand({ Path: LAMBDA_REGIONS_PATH, NextToken: nextToken }));
    for (const parameter of page.Parameters ?? []) if (parameter.Value) regions.push(parameter.Value);
    nextToken = page.NextToken;
  } while (nextToken);
  return regions.sort();
}
