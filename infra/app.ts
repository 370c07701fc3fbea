import { App } from 'aws-cdk-lib';
import * as path from 'node:path';
import { createLaminaDeployment } from './lamina-app';
import { parseRegionList } from './staging-regions';

/**
 * The CDK app (`cdk.json` runs it with tsx, no build step). Context:
 *   catalog         the catalog file (default: catalog.yaml at the repository root)
 *   stackName       the stack's name (default: Lamina)
 *   stagingBuckets  JSON object region → bucket: buckets you own for layers over 50 MB, instead of the staging stacks'
 *   excludeRegions  regions (a,b or a JSON list) that get no staging stack with `regions: all` (opt-in regions not enabled)
 *   deploymentId    1-12 lowercase letters/digits in every staging bucket's name (default: from the stack name)
 */
const app = new App();
const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return value === undefined || value === null || value === '' ? undefined : String(typeof value === 'object' ? JSON.stringify(value) : value);
};

function parseStagingBuckets(text: string | undefined): Record<string, string> {
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`context stagingBuckets is not JSON: ${text}; give an object of region to bucket, e.g. {"eu-west-1":"my-bucket-eu-west-1"}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || Object.values(parsed).some((bucket) => typeof bucket !== 'string')) {
    throw new Error(`context stagingBuckets must be an object of region to bucket name, got ${text}`);
  }
  return parsed as Record<string, string>;
}

createLaminaDeployment(app, context('stackName') ?? 'Lamina', {
  catalogFile: path.resolve(context('catalog') ?? path.join(__dirname, '..', 'catalog.yaml')),
  stagingBuckets: parseStagingBuckets(context('stagingBuckets')),
  excludeRegions: parseRegionList(context('excludeRegions'), 'excludeRegions'),
  deploymentId: context('deploymentId'),
  description: 'lamina: builds AWS Lambda layers, publishes them to every region and lists their ARNs',
});
