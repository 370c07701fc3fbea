import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { distributedMaps } from '../statemachine/definition';
import { ARTIFACT_PREFIXES } from './artifact-bucket';

/** The Builds map's items: Plan writes them as runs/<run id>/builds.json. */
export const ITEMS_OBJECTS = `${ARTIFACT_PREFIXES.runs}*/builds.json`;
/** Each region's map's items: PlanPublishes writes them as runs/<run id>/publishes/<region>.json (functions/plan-publishes). */
export const PUBLISH_ITEMS = `${ARTIFACT_PREFIXES.runs}*/publishes/*.json`;

/**
 * What the state machine's role needs for its Distributed Maps (besides invoking the task functions): start its
 * own child executions and describe and stop them (AWS: "IAM policies for using Distributed Map states"), read
 * the items objects (the builds, and each region's layers), and let the ResultWriters write the Map Runs' results
 * under their prefix. A region's map runs inside a child execution of the Publishes map (a Distributed Map in a
 * Distributed Map's child workflow, as AWS's ItemReader guide describes): its children are executions of the same
 * state machine, named <state machine>/<label>:<id> like the others, so the same two statements cover them. The
 * state machine's ARN is formed from its fixed name, so the role does not depend on the state machine it belongs to.
 */
export function stateMachinePolicies(scope: Construct, stateMachineName: string, bucket: s3.IBucket): iam.PolicyStatement[] {
  const stack = Stack.of(scope);
  const stateMachineArn = stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: stateMachineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  // A child execution of a Distributed Map is named <state machine>/<map label>:<child id>.
  const childExecutions = stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${stateMachineName}/*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  // The maps may share a prefix: one resource each.
  const prefixes = new Set(distributedMaps().map((map) => map.resultsPrefix?.replace(/\/+$/, '')).filter((prefix): prefix is string => Boolean(prefix)));
  const results = [...prefixes].map((prefix) => `${bucket.bucketArn}/${prefix}/*`);
  const allow = (actions: string[], resources: string[]) => new iam.PolicyStatement({ effect: iam.Effect.ALLOW, actions, resources });
  return [
    allow(['states:StartExecution'], [stateMachineArn]),
    allow(['states:DescribeExecution', 'states:StopExecution'], [childExecutions]),
    allow(['s3:GetObject'], [`${bucket.bucketArn}/${ITEMS_OBJECTS}`, `${bucket.bucketArn}/${PUBLISH_ITEMS}`]),
    ...(results.length > 0 ? [allow(['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], results)] : []),
  ];
}
