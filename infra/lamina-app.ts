import type { App } from 'aws-cdk-lib';
import { LaminaStack, type LaminaStackProps } from './lamina-stack';
import { StagingStack } from './staging-stack';

export interface LaminaDeployment {
  main: LaminaStack;
  /** One per region the deployment publishes to, each deployed in its region. */
  staging: StagingStack[];
}

/**
 * Everything `npx cdk deploy --all` deploys: the pipeline's stack (environment-agnostic, in the region the CLI
 * targets) and one small staging stack per region the catalog publishes to. The pipeline finds each region's bucket
 * by its derived name, so the stacks share no reference; the pipeline's stack is deployed after them, so a run never
 * starts before its buckets exist.
 */
export function createLaminaDeployment(app: App, stackName: string, props: LaminaStackProps): LaminaDeployment {
  const main = new LaminaStack(app, stackName, props);
  const staging = main.staging.regions.map(
    (region) =>
      new StagingStack(app, `${stackName}-Staging-${region}`, {
        region,
        deploymentId: main.staging.deploymentId,
        description: `lamina: staging bucket for layers over 50 MB published in ${region} (deployment ${main.staging.deploymentId})`,
      }),
  );
  for (const stack of staging) main.addStackDependency(stack, 'the pipeline publishes large layers through the staging buckets');
  return { main, staging };
}
