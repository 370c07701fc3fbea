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

const DESCRIPTION = 'lamina: the latest version ARN of this layer in this region';

/**
 * Makes the parameter hold the ARN the latest pointer names (`latestArn` reads it, strongly consistent), writing
 * only when it differs (PutParameter bumps the version every time). `known` is the ARN the caller's own pointer
 * write left there (no read needed); `unwritten` that the parameter cannot hold it yet (a version published just
 * now), so it is written without reading it first.
 *
 * PutParameter has no condition, so two Publishes of one layer × region interleave freely; a newer one must not
 * be overwritten by an older one. So whoever writes reads the pointer again afterwards and, if it has moved
 * meanwhile, writes again: the last write anyone makes is then followed by a read that found it current, and a
 * pointer moved after that read is followed by its mover's own sync.
 */
export async function syncLatestParameter(
  parameters: Pick<ParameterStore, 'get' | 'put'>,
  name: string,
  latestArn: () => Promise<string | undefined>,
  known?: { arn: string; unwritten?: boolean },
): Promise<boolean> {
  let arn = known ? known.arn : await latestArn();
  let read = !known?.unwritten;
  let wrote = false;
  // Pointers only move forward, so this ends; the bound is for a pointer that moves on every read.
  for (let round = 0; arn !== undefined && round < 10; round++) {
    if (read && (await parameters.get(name)) === arn) return wrote;
    await parameters.put(name, arn, DESCRIPTION);
    wrote = true;
    const now = await latestArn();
    if (now === undefined || now === arn) return true;
    arn = now;
    read = false;
  }
  return wrote;
}
