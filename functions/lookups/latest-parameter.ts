import type { ParameterStore } from '../aws/ssm-parameters';

/**
 * The SSM parameter holding a layer's latest version ARN in a region: `/<prefix>/layers/<layer-name>/latest`.
 * CloudFormation (`{{resolve:ssm:...}}`), CDK (`StringParameter.valueForStringParameter`) and Terraform
 * (`data "aws_ssm_parameter"`) resolve it natively. Only `latest`: a region holds at most 10,000 standard
 * parameters, and a catalog may hold as many layers.
 */
export function latestParameterName(prefix: string, layerName: string): string {
  return `/${prefix}/layers/${layerName}/latest`;
}

/** Makes the parameter hold `arn`, writing only when it differs (PutParameter bumps the version every time). */
export async function syncLatestParameter(parameters: Pick<ParameterStore, 'get' | 'put'>, name: string, arn: string): Promise<boolean> {
  if ((await parameters.get(name)) === arn) return false;
  await parameters.put(name, arn, 'lamina: the latest version ARN of this layer in this region');
  return true;
}
