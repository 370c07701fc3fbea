import { ArnFormat, Aws, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { GSI1, GSI2 } from '../schema/table';
import { ARTIFACT_PREFIXES } from './artifact-bucket';
import { PUBLISH_ITEMS } from './state-machine-permissions';
import type { FunctionName } from './functions';

/** The public SSM path listing the regions where Lambda runs (functions/aws/ssm-regions.ts reads it). */
export const LAMBDA_REGIONS_PARAMETER_PATH = 'aws/service/global-infrastructure/services/lambda/regions';

/**
 * Layer ARNs lamina may touch: only layers named `<prefix>-*`, in any region, in this account.
 * IAM authorizes PublishLayerVersion and ListLayerVersions against the layer ARN, and GetLayerVersion,
 * Add/RemoveLayerVersionPermission, GetLayerVersionPolicy and DeleteLayerVersion against the layer version ARN
 * (`layer:<name>:<version>`); see "Resource and condition keys for Lambda actions" in the Lambda developer guide.
 * ListLayers is the only layer action that needs `*`: Plan calls it to see what each region really holds (it reads
 * names and version numbers only, and lists nothing it could change).
 */
export function layerArns(scope: Construct, prefix: string): { layer: string; layerVersion: string } {
  const layer = Stack.of(scope).formatArn({
    service: 'lambda',
    region: '*',
    account: Aws.ACCOUNT_ID,
    resource: 'layer',
    resourceName: `${prefix}-*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  return { layer, layerVersion: `${layer}:*` };
}

const allow = (actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
  new iam.PolicyStatement({ effect: iam.Effect.ALLOW, actions, resources, conditions });

export interface PermissionContext {
  scope: Construct;
  table: dynamodb.ITable;
  bucket: s3.IBucket;
  prefix: string;
  /** The staging buckets (one per region, and any the operator named) Publish copies zips over 50 MB into. */
  stagingBuckets: string[];
  /** SNS topics notices go to: lamina's own and the catalog's `settings.notifications.topics`. */
  topicArns: string[];
}

/**
 * Each function's policy, written action by action (CDK's grant helpers use wildcards such as `s3:GetObject*`):
 * exactly the calls the handler's code makes, on the resources it makes them on.
 */
export function functionPolicies(context: PermissionContext): Record<FunctionName, iam.PolicyStatement[]> {
  const { scope, table, bucket, prefix } = context;
  const tableArn = table.tableArn;
  const indexArns = `${table.tableArn}/index/*`;
  const layers = `${bucket.bucketArn}/${ARTIFACT_PREFIXES.layers}*`;
  const listing = `${bucket.bucketArn}/${ARTIFACT_PREFIXES.listing}*`;
  const runs = `${bucket.bucketArn}/${ARTIFACT_PREFIXES.runs}*`;
  const { layer, layerVersion } = layerArns(scope, prefix);
  const regionsParameter = Stack.of(scope).formatArn({ service: 'ssm', account: '', resource: 'parameter', resourceName: LAMBDA_REGIONS_PARAMETER_PATH, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  const stagingObjects = context.stagingBuckets.map(
    (name) => `arn:${Aws.PARTITION}:s3:::${name}/${ARTIFACT_PREFIXES.layers}*`,
  );

  // The lookups: `/<prefix>/layers/<layer>/latest`, in every region a layer is published in.
  const lookups = Stack.of(scope).formatArn({ service: 'ssm', region: '*', resource: 'parameter', resourceName: `${prefix}/layers/*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  // Events go to the default bus of the stack's region.
  const defaultBus = Stack.of(scope).formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default', arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  const putEvents = allow(['events:PutEvents'], [defaultBus]);
  const publishNotices = allow(['sns:Publish'], context.topicArns);

  return {
    plan: [
      // Reads what was built and published; writes the outcomes it decides (unchanged, unresolvable).
      allow(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem'], [tableArn]),
      // Each resolved target waits under runs/ for its Build.
      allow(['s3:PutObject'], [runs]),
      allow(['ssm:GetParametersByPath'], [regionsParameter, `${regionsParameter}/*`]),
      // Which opt-in regions this account has enabled (`regions: all` leaves the others out).
      allow(['account:ListRegions'], [Stack.of(scope).formatArn({ service: 'account', region: '', resource: 'account', arnFormat: ArnFormat.NO_RESOURCE_NAME })]),
      // What each region really holds: ListLayers authorizes only against `*`.
      allow(['lambda:ListLayers'], ['*']),
    ],
    build: [
      // Whether these inputs were built (and verified) already; Seal records builds.
      allow(['dynamodb:GetItem'], [tableArn]),
      // HeadObject is authorized as s3:GetObject; without s3:ListBucket a missing key answers 403 instead of 404,
      // and ArtifactStore.exists could not tell "not there yet" from "denied".
      allow(['s3:GetObject', 's3:PutObject'], [layers]),
      // Reads its resolved target; leaves the pending build record for Seal.
      allow(['s3:GetObject', 's3:PutObject'], [runs]),
      allow(['s3:ListBucket'], [bucket.bucketArn]),
    ],
    seal: [
      // The built zip and the verified one; the pending record and what Verify added, under runs/.
      allow(['s3:GetObject', 's3:PutObject'], [layers]),
      allow(['s3:GetObject'], [runs]),
      // The layer and build records; a refused unverified layer's outcomes.
      allow(['dynamodb:PutItem'], [tableArn]),
    ],
    'plan-publishes': [
      // The Builds map's results (the ResultWriter writes them under runs/); each region's layers to publish.
      allow(['s3:GetObject'], [runs]),
      allow(['s3:PutObject'], [`${bucket.bucketArn}/${PUBLISH_ITEMS}`]),
    ],
    publish: [
      allow(['lambda:PublishLayerVersion', 'lambda:ListLayerVersions'], [layer]),
      allow(
        ['lambda:GetLayerVersion', 'lambda:AddLayerVersionPermission', 'lambda:RemoveLayerVersionPermission', 'lambda:GetLayerVersionPolicy'],
        [layerVersion],
      ),
      // PublishLayerVersion with S3 content reads the object with the caller's permissions; zips over 50 MB are
      // first copied (CopyObject: read the source, write the copy) into the staging bucket of the layer's region, and
      // the copy is deleted once published.
      allow(['s3:GetObject'], [layers, ...stagingObjects]),
      ...(stagingObjects.length > 0 ? [allow(['s3:PutObject', 's3:DeleteObject'], stagingObjects)] : []),
      // BatchGetItem: a version's item and the latest pointer read together before they are recorded.
      allow(['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], [tableArn]),
      allow(['ssm:GetParameter', 'ssm:PutParameter'], [lookups]),
      putEvents,
    ],
    failure: [allow(['dynamodb:PutItem'], [tableArn])],
    report: [
      // PutItem: the summary and the notices sent; GetItem: whether a notice was sent already, and the regions
      // record (read, then only ever extended).
      allow(['dynamodb:PutItem', 'dynamodb:GetItem'], [tableArn]),
      putEvents,
      publishNotices,
      // Plan's run manifest, the Map Runs' results (the ResultWriters write them under runs/) and each region's layers.
      allow(['s3:GetObject'], [runs]),
      // The run's outcomes, and for the static listing export the latest pointers per region and the expiry index.
      allow(['dynamodb:Query'], [tableArn, `${table.tableArn}/index/${GSI1.name}`, `${table.tableArn}/index/${GSI2.name}`]),
      allow(['s3:PutObject'], [listing]),
    ],
    expire: [
      allow(['lambda:DeleteLayerVersion'], [layerVersion]),
      allow(['dynamodb:Query'], [`${table.tableArn}/index/${GSI2.name}`]),
      allow(['dynamodb:UpdateItem'], [tableArn]),
      // The latest pointers (is the layer gone from a region?) and the notices sent.
      allow(['dynamodb:GetItem', 'dynamodb:PutItem'], [tableArn]),
      allow(['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter'], [lookups]),
      putEvents,
      publishNotices,
    ],
    api: [
      allow(['dynamodb:GetItem', 'dynamodb:Query'], [tableArn, indexArns]),
      // /v1/layers/{name}/sbom reads the SBOM stored beside the layer's zip.
      allow(['s3:GetObject'], [layers]),
    ],
  };
}
