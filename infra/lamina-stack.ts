import * as path from 'node:path';
import { Aws, CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { noticeConfigOf } from '../functions/notices/environment';
import type { Construct } from 'constructs';
import type { Catalog } from '../functions/catalog/catalog';
import { DEFINITION_FILE, TASK_FUNCTIONS } from '../statemachine/definition';
import { checkDeploymentId, deploymentIdOf, stagingBucketName } from '../functions/publish/staging';
import { createArtifactBucket } from './artifact-bucket';
import { PublicListing } from './public-listing';
import { readCatalogFile } from './catalog-file';
import { repositoryPaths } from './catalog-paths';
import { createLaminaFunction, FUNCTION_NAMES, type FunctionName } from './functions';
import { functionPolicies } from './permissions';
import { createVerifyFunctions } from './verify-functions';
import { stagingRegions } from './staging-regions';
import { stateMachinePolicies } from './state-machine-permissions';
import { createLaminaTable } from './table';

export interface LaminaStackProps extends StackProps {
  /** The catalog file: read and validated at synth time, and deployed beside the Plan handler. */
  catalogFile: string;
  /** Buckets the operator owns that PublishLayerVersion reads zips over 50 MB from (region → bucket): they win over the staging stacks'. */
  stagingBuckets?: Record<string, string>;
  /** Regions left out of `regions: all` for staging (opt-in regions the account has not enabled). */
  excludeRegions?: string[];
  /** Part of every staging bucket's name (default: from the stack name), so two deployments in one account differ. */
  deploymentId?: string;
  /** Handler entry overrides by function name (tests); `functions/<name>/handler.ts` otherwise. */
  entries?: Partial<Record<FunctionName, string>>;
}

const CONSTRUCT_IDS: Record<FunctionName, string> = {
  plan: 'PlanFunction',
  build: 'BuildFunction',
  seal: 'SealFunction',
  'plan-publishes': 'PlanPublishesFunction',
  publish: 'PublishFunction',
  failure: 'RecordFailureFunction',
  report: 'ReportFunction',
  expire: 'ExpireFunction',
  api: 'ApiFunction',
};

/**
 * lamina on AWS: the table, the artifact bucket, one function per handler, the state machine CDK loads from
 * statemachine/pipeline.asl.json, the schedule from the catalog, and the HTTP listing API. Environment-agnostic:
 * nothing is looked up at synth time, so `cdk synth` needs no credentials.
 */
export class LaminaStack extends Stack {
  readonly catalog: Catalog;
  readonly table: dynamodb.Table;
  readonly bucket: s3.Bucket;
  readonly functions: Record<FunctionName, nodejs.NodejsFunction>;
  /** The verify functions, by `runtime/architecture`. */
  readonly verifyFunctions: Map<string, lambda.Function>;
  readonly stateMachine: sfn.StateMachine;
  readonly schedule: events.Rule;
  readonly api: apigwv2.HttpApi;
  readonly listing: PublicListing;
  /** Where the staging stacks go (infra/lamina-app.ts creates one per region) and the id in their buckets' names. */
  readonly staging: { deploymentId: string; regions: string[] };
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: LaminaStackProps) {
    super(scope, id, props);
    const catalogFile = readCatalogFile(props.catalogFile);
    this.catalog = catalogFile.catalog;
    const { settings } = this.catalog;
    const stagingBuckets = props.stagingBuckets ?? {};
    this.staging = {
      deploymentId: checkDeploymentId(props.deploymentId ?? deploymentIdOf(id)),
      regions: stagingRegions(this.catalog, props.excludeRegions),
    };
    const stagingBucketNames = [
      ...this.staging.regions.map((region) => stagingBucketName(this.staging.deploymentId, Aws.ACCOUNT_ID, region)),
      ...Object.values(stagingBuckets),
    ];

    this.table = createLaminaTable(this, 'Table');
    this.bucket = createArtifactBucket(this, 'ArtifactBucket');

    // Notices for people: failed runs, superseded versions, coming deletions (functions/notices).
    this.topic = new sns.Topic(this, 'Notices', { displayName: `lamina (${settings.prefix}) notices`, enforceSSL: true });
    for (const email of settings.notifications.emails) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    const notices = { LAMINA_NOTICES: JSON.stringify(noticeConfigOf(settings)), LAMINA_TOPIC_ARN: this.topic.topicArn };

    const table = { LAMINA_TABLE: this.table.tableName };
    const bucket = { LAMINA_BUCKET: this.bucket.bucketName };
    // One verify function per runtime × architecture the catalog uses; Build names each check's function.
    this.verifyFunctions = createVerifyFunctions(this, this.catalog, this.bucket);
    const verifyFunctions = Object.fromEntries([...this.verifyFunctions].map(([key, fn]) => [key, fn.functionArn]));
    const environments: Record<FunctionName, Record<string, string>> = {
      plan: { ...table, ...bucket },
      build: { ...table, ...bucket, LAMINA_VERIFY_FUNCTIONS: this.toJsonString(verifyFunctions) },
      seal: { ...table, ...bucket },
      'plan-publishes': { ...table, ...bucket },
      publish: {
        ...table,
        ...bucket,
        LAMINA_BUCKET_REGION: Aws.REGION,
        LAMINA_STAGING_BUCKETS: JSON.stringify(stagingBuckets),
        LAMINA_ACCOUNT_ID: Aws.ACCOUNT_ID,
        LAMINA_DEPLOYMENT_ID: this.staging.deploymentId,
        LAMINA_STAGING_REGIONS: this.staging.regions.join(','),
        ...notices,
      },
      failure: { ...table },
      report: { ...table, ...bucket, ...notices },
      expire: { ...table, ...notices },
      // Identical listing requests within 5 s share one DynamoDB read (the API says max-age=60 anyway).
      api: { ...table, ...bucket, LAMINA_LISTING_CACHE_SECONDS: '5', LAMINA_SCHEDULE: settings.schedule },
    };
    const policies = functionPolicies({
      scope: this,
      table: this.table,
      bucket: this.bucket,
      prefix: settings.prefix,
      stagingBuckets: stagingBucketNames,
      topicArns: [this.topic.topicArn, ...settings.notifications.topics],
    });

    const functions = {} as Record<FunctionName, nodejs.NodejsFunction>;
    for (const name of FUNCTION_NAMES) {
      const fn = createLaminaFunction(this, CONSTRUCT_IDS[name], {
        name,
        environment: environments[name],
        entry: props.entries?.[name],
        // The Plan handler reads `catalog.yaml` beside its bundled file.
        extraFiles:
          name === 'plan'
            ? {
                'catalog.yaml': catalogFile.path,
                ...Object.fromEntries(repositoryPaths(this.catalog).map((rel) => [rel, path.resolve(path.dirname(catalogFile.path), rel)])),
              }
            : undefined,
      });
      for (const statement of policies[name]) fn.addToRolePolicy(statement);
      functions[name] = fn;
    }
    this.functions = functions;

    const substitutions: Record<string, string> = { ArtifactBucketName: this.bucket.bucketName };
    for (const [variable, handler] of Object.entries(TASK_FUNCTIONS)) substitutions[variable] = functions[handler].functionArn;
    const stateMachineName = `${id}-${settings.prefix}-pipeline`;
    const executionLogs = new logs.LogGroup(this, 'StateMachineLogs', {
      // Step Functions' resource policy on the log group needs the /aws/vendedlogs/ prefix to stay small.
      logGroupName: `/aws/vendedlogs/states/${id}-${settings.prefix}-pipeline`,
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'Pipeline', {
      stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(DEFINITION_FILE),
      definitionSubstitutions: substitutions,
      logs: { destination: executionLogs, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    // The definition is a file, so CDK cannot see its tasks: the role may invoke exactly the task functions.
    for (const handler of new Set(Object.values(TASK_FUNCTIONS))) functions[handler].grantInvoke(this.stateMachine);
    for (const statement of stateMachinePolicies(this, stateMachineName, this.bucket)) this.stateMachine.addToRolePolicy(statement);
    // The Verify map invokes the function Build named for each check (arn:aws:states:::lambda:invoke).
    for (const fn of this.verifyFunctions.values()) fn.grantInvoke(this.stateMachine);

    this.schedule = new events.Rule(this, 'Schedule', {
      description: `lamina: run the pipeline (${settings.schedule}, from ${this.catalog.file})`,
      schedule: events.Schedule.expression(settings.schedule),
      targets: [new targets.SfnStateMachine(this.stateMachine, { input: events.RuleTargetInput.fromObject({}) })],
    });

    this.listing = new PublicListing(this, 'Listing', { apiFunction: functions.api, bucket: this.bucket });
    this.api = this.listing.api;
    // The static export's feeds link to where it is served.
    functions.report.addEnvironment('LAMINA_PUBLIC_URL', `${this.listing.url}listing/`);

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint, description: 'The listing API (origin; use ListingUrl)' });
    new CfnOutput(this, 'ListingUrl', { value: this.listing.url, description: 'The listing behind CloudFront: the page at /, the API under /v1, the static export under /listing/' });
    new CfnOutput(this, 'StateMachineArn', {
      value: this.stateMachine.stateMachineArn,
      description: 'Start a run by hand: aws stepfunctions start-execution --state-machine-arn <this> --input {}',
    });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'BucketName', { value: this.bucket.bucketName });
  }
}
