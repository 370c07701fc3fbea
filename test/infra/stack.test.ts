import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readCatalogFile } from '../../infra/catalog-file';
import { FUNCTION_NAMES, type FunctionName } from '../../infra/functions';
import { LaminaStack } from '../../infra/lamina-stack';
import { createTableInput } from '../../schema/table';
import { DEFINITION_FILE, OTHER_SUBSTITUTIONS, TASK_FUNCTIONS, distributedMaps, substitutedDefinition } from '../../statemachine/definition';

type AslValidator = (definition: unknown, options?: { checkArn?: boolean; checkPaths?: boolean }) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
};
// asl-validator ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as AslValidator;

// A catalog unlike the repository's, so every assertion below proves the value came from the catalog.
const PREFIX = 'acme';
const SCHEDULE = 'cron(0 3 * * ? *)';
const CATALOG = `settings:
  prefix: ${PREFIX}
  regions: [us-east-1, eu-west-1]
  schedule: ${SCHEDULE}
  notifications:
    emails: [ops@acme.example]
    topics: [arn:aws:sns:eu-west-1:123456789012:acme-platform]
    reminderDays: 5
layers:
  - name: bash
    kind: bash-runtime
`;

let workDir: string;
let stack: LaminaStack;
let template: Template;
let resources: Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string }>;

beforeAll(() => {
  workDir = mkdtempSync(path.join(tmpdir(), 'lamina-infra-'));
  const catalogFile = path.join(workDir, 'catalog.yaml');
  writeFileSync(catalogFile, CATALOG);
  // The feature flags `cdk synth` runs with, so the template under test is the one that deploys.
  const { context } = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({ outdir: path.join(workDir, 'cdk.out'), context });
  stack = new LaminaStack(app, 'LaminaTest', { catalogFile, stagingBuckets: { 'eu-west-1': 'acme-staging-eu-west-1' } });
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
}, 300_000);

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** An intrinsic-bearing value as a string: `${Ref}` and `${Logical.Attr}` placeholders, joins joined. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(render).join(',');
  const object = value as Record<string, any>;
  if ('Fn::Join' in object) return (object['Fn::Join'][1] as unknown[]).map(render).join(object['Fn::Join'][0]);
  if ('Ref' in object) return `\${${object.Ref}}`;
  if ('Fn::GetAtt' in object) return `\${${(object['Fn::GetAtt'] as string[]).join('.')}}`;
  return JSON.stringify(value);
}

const logicalIdOf = (construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as CfnFunction | CfnRole);
const functionId = (name: FunctionName) => logicalIdOf(stack.functions[name]);
const roleId = (name: FunctionName) => logicalIdOf(stack.functions[name].role as never);

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}
const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every statement of every inline policy attached to a role. */
function statementsOfRole(logicalId: string): Statement[] {
  return Object.values(resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy')
    .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === logicalId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

/** Action → the rendered resources a role's policies allow it on. */
function allowedActions(logicalId: string): Map<string, string[]> {
  const allowed = new Map<string, string[]>();
  for (const statement of statementsOfRole(logicalId)) {
    if (statement.Effect !== 'Allow') continue;
    for (const action of asList(statement.Action)) {
      allowed.set(action, [...(allowed.get(action) ?? []), ...asList(statement.Resource).map(render)]);
    }
  }
  return allowed;
}

describe('table', () => {
  test('is on demand, recoverable, retained, and keyed exactly as schema/table.ts describes', () => {
    const expected = createTableInput('unused');
    const tables = template.findResources('AWS::DynamoDB::Table');
    expect(Object.keys(tables)).toHaveLength(1);
    const table = Object.values(tables)[0];
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    expect(table.Properties.KeySchema).toEqual(expected.KeySchema);
    expect(new Set(table.Properties.AttributeDefinitions)).toEqual(new Set(expected.AttributeDefinitions));
    const indexes = (table.Properties.GlobalSecondaryIndexes as { IndexName: string; KeySchema: unknown; Projection: unknown }[]).map(
      ({ IndexName, KeySchema, Projection }) => ({ IndexName, KeySchema, Projection }),
    );
    expect(indexes).toEqual(expected.GlobalSecondaryIndexes);
    expect(indexes.map((index) => index.IndexName)).toEqual(['gsi1', 'gsi2']);
  });
});

describe('artifact bucket', () => {
  test('is encrypted, private, versioned, retained, and cleans old versions', () => {
    const buckets = template.findResources('AWS::S3::Bucket');
    // The artifact bucket, and CloudFront's access logs.
    expect(Object.keys(buckets).sort()).toEqual([logicalIdOf(stack.bucket), logicalIdOf(stack.listing.logBucket)].sort());
    const bucket = buckets[logicalIdOf(stack.bucket)];
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toMatch(
      /^(AES256|aws:kms)$/,
    );
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    const rules = bucket.Properties.LifecycleConfiguration.Rules as { Status: string; NoncurrentVersionExpiration?: { NoncurrentDays: number } }[];
    expect(rules.some((rule) => rule.Status === 'Enabled' && (rule.NoncurrentVersionExpiration?.NoncurrentDays ?? 0) > 0)).toBe(true);
  });

  test('denies every request that does not use SSL', () => {
    const bucketId = Object.keys(template.findResources('AWS::S3::Bucket'))[0];
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });
});

describe('functions', () => {
  test('one Node.js 22 function per handler, and no others besides the verify functions: build on x86_64, the rest arm64', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    // The verify functions, one per runtime × architecture the catalog uses, are test/verify/verify-stack.test.ts's.
    const verify = new Set([...stack.verifyFunctions.values()].map((fn) => logicalIdOf(fn)));
    expect([...stack.verifyFunctions.keys()]).toEqual(['provided.al2023/arm64', 'provided.al2023/x86_64']);
    expect(Object.keys(functions).filter((id) => !verify.has(id)).sort()).toEqual(FUNCTION_NAMES.map(functionId).sort());
    for (const name of FUNCTION_NAMES) {
      const properties = functions[functionId(name)].Properties;
      expect({ name, runtime: properties.Runtime, architectures: properties.Architectures, handler: properties.Handler }).toEqual({
        name,
        runtime: 'nodejs22.x',
        architectures: [name === 'build' ? 'x86_64' : 'arm64'],
        handler: 'index.handler',
      });
      expect(properties.Environment.Variables.LAMINA_TABLE).toEqual({ Ref: logicalIdOf(stack.table) });
    }
  });

  test('build has the memory, time and /tmp a layer build needs', () => {
    const build = resources[functionId('build')].Properties;
    expect(build.MemorySize).toBeGreaterThanOrEqual(3008);
    expect(build.Timeout).toBe(900);
    expect(build.EphemeralStorage).toEqual({ Size: 10240 });
  });

  test('publish knows the bucket, its region and the staging buckets', () => {
    const variables = resources[functionId('publish')].Properties.Environment.Variables;
    expect(variables.LAMINA_BUCKET).toEqual({ Ref: logicalIdOf(stack.bucket) });
    expect(variables.LAMINA_BUCKET_REGION).toEqual({ Ref: 'AWS::Region' });
    expect(JSON.parse(variables.LAMINA_STAGING_BUCKETS)).toEqual({ 'eu-west-1': 'acme-staging-eu-west-1' });
  });

  test('every function has a log group with a retention', () => {
    for (const name of FUNCTION_NAMES) {
      const logGroup = resources[functionId(name)].Properties.LoggingConfig.LogGroup as { Ref: string };
      expect(resources[logGroup.Ref].Properties.RetentionInDays).toBeGreaterThan(0);
    }
  });

  test('the bundles were built, and the Plan bundle carries the catalog as catalog.yaml', () => {
    const assemblyDir = path.join(workDir, 'cdk.out');
    const bundleOf = (name: FunctionName) => {
      const key = render(resources[functionId(name)].Properties.Code.S3Key);
      return path.join(assemblyDir, `asset.${key.replace(/\.zip$/, '')}`);
    };
    // Loaded in a fresh Node.js, as Lambda loads them: a bundle missing a module or a file fails here, not on AWS.
    const load = 'process.stdout.write(JSON.stringify(process.argv.slice(1).map((file) => typeof require(file).handler)))';
    const files = FUNCTION_NAMES.map((name) => path.join(bundleOf(name), 'index.js'));
    const handlers = JSON.parse(execFileSync(process.execPath, ['-e', load, ...files], { cwd: workDir, encoding: 'utf8' })) as string[];
    expect(handlers).toEqual(FUNCTION_NAMES.map(() => 'function'));
    expect(readFileSync(path.join(bundleOf('plan'), 'catalog.yaml'), 'utf8')).toBe(CATALOG);
    expect(existsSync(path.join(bundleOf('build'), 'catalog.yaml'))).toBe(false);
  });
});

describe('state machine', () => {
  test('is the ASL file, with every task variable substituted by its function', () => {
    const machines = template.findResources('AWS::StepFunctions::StateMachine');
    expect(Object.keys(machines)).toHaveLength(1);
    const properties = Object.values(machines)[0].Properties;
    // DefinitionBody.fromFile deploys the file as an asset that CloudFormation reads (DefinitionS3Location).
    const deployed = readFileSync(path.join(workDir, 'cdk.out', `asset.${render(properties.DefinitionS3Location.Key)}`), 'utf8');
    expect(deployed).toBe(readFileSync(DEFINITION_FILE, 'utf8'));
    const used = new Set([...deployed.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1]));
    expect(used).toEqual(new Set([...Object.keys(TASK_FUNCTIONS), ...OTHER_SUBSTITUTIONS]));
    for (const [variable, handler] of Object.entries(TASK_FUNCTIONS)) {
      expect(properties.DefinitionSubstitutions[variable]).toEqual({ 'Fn::GetAtt': [functionId(handler), 'Arn'] });
    }
    // The Builds map reads its items from, and writes its results to, the artifact bucket.
    expect(properties.DefinitionSubstitutions.ArtifactBucketName).toEqual({ Ref: logicalIdOf(stack.bucket) });
  });

  test('its Distributed Map may start, describe and stop only its own child executions, read only the items, write only its results', () => {
    const properties = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0].Properties;
    const name = properties.StateMachineName as string;
    expect(name).toBe(`LaminaTest-${PREFIX}-pipeline`);
    const allowed = allowedActions(properties.RoleArn['Fn::GetAtt'][0]);
    const states = [...allowed.keys()].filter((action) => action.startsWith('states:')).sort();
    expect(states).toEqual(['states:DescribeExecution', 'states:StartExecution', 'states:StopExecution']);
    expect(allowed.get('states:StartExecution')).toEqual([`arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${name}`]);
    const children = [`arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:${name}/*`];
    expect(allowed.get('states:DescribeExecution')).toEqual(children);
    expect(allowed.get('states:StopExecution')).toEqual(children);
    const bucketArn = `\${${logicalIdOf(stack.bucket)}.Arn}`;
    // The Builds map's items, and each region's layers (the RegionPublishes map inside each Publishes child).
    expect(allowed.get('s3:GetObject')).toEqual([`${bucketArn}/runs/*/builds.json`, `${bucketArn}/runs/*/publishes/*.json`]);
    const maps = distributedMaps();
    expect(maps.map((map) => map.name)).toEqual(['Builds', 'Publishes', 'RegionPublishes']);
    const [prefix] = new Set(maps.map((map) => map.resultsPrefix));
    expect(new Set(maps.map((map) => map.resultsPrefix))).toEqual(new Set([prefix]));
    expect(prefix).toMatch(/^runs\//);
    for (const action of ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts']) {
      expect({ action, resources: allowed.get(action) }).toEqual({ action, resources: [`${bucketArn}/${prefix}/*`] });
    }
    expect([...allowed.keys()].filter((action) => action.startsWith('s3:')).sort()).toEqual([
      's3:AbortMultipartUpload',
      's3:GetObject',
      's3:ListMultipartUploadParts',
      's3:PutObject',
    ]);
  });

  test('logs everything, with execution data, and traces with X-Ray', () => {
    const properties = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0].Properties;
    expect(properties.LoggingConfiguration.Level).toBe('ALL');
    expect(properties.LoggingConfiguration.IncludeExecutionData).toBe(true);
    expect(properties.LoggingConfiguration.Destinations).toHaveLength(1);
    expect(properties.TracingConfiguration).toEqual({ Enabled: true });
  });

  test('may invoke the task functions and the verify functions, nothing else', () => {
    const properties = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0].Properties;
    const allowed = allowedActions(properties.RoleArn['Fn::GetAtt'][0]);
    const invocable = allowed.get('lambda:InvokeFunction') ?? [];
    const taskFunctions = [...new Set(Object.values(TASK_FUNCTIONS))].map(functionId);
    const verifyFunctions = [...stack.verifyFunctions.values()].map((fn) => logicalIdOf(fn));
    expect(new Set(invocable)).toEqual(new Set([...taskFunctions, ...verifyFunctions].flatMap((id) => [`\${${id}.Arn}`, `\${${id}.Arn}:*`])));
    expect([...allowed.keys()].filter((action) => action.startsWith('lambda:'))).toEqual(['lambda:InvokeFunction']);
  });

  test('the ASL validates (asl-validator), as Step Functions receives it after substitution', () => {
    const arn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:lamina-${name}`;
    const substitutions: Record<string, string> = {
      ...Object.fromEntries(Object.entries(TASK_FUNCTIONS).map(([variable, handler]) => [variable, arn(handler)])),
      ArtifactBucketName: 'acme-artifacts',
    };
    const definition = JSON.parse(substitutedDefinition(substitutions));
    const result = aslValidator(definition, { checkArn: true, checkPaths: true });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);

    // The validator does reject a broken definition: a transition to a state that does not exist.
    const broken = JSON.parse(substitutedDefinition(substitutions));
    broken.States[broken.StartAt].Next = 'NoSuchState';
    expect(aslValidator(broken, { checkArn: true, checkPaths: true }).isValid).toBe(false);
  });
});

describe('schedule', () => {
  test("starts the state machine with {} on the catalog's schedule", () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule'));
    expect(rules).toHaveLength(1);
    expect(rules[0].Properties.ScheduleExpression).toBe(SCHEDULE);
    expect(rules[0].Properties.State ?? 'ENABLED').toBe('ENABLED');
    const stateMachineId = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'))[0];
    expect(rules[0].Properties.Targets).toEqual([
      expect.objectContaining({ Arn: { Ref: stateMachineId }, Input: '{}' }),
    ]);
  });
});

describe('listing API', () => {
  test('routes GET, HEAD and OPTIONS on / and /v1/{proxy+} to the api function (payload v2)', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual(
      ['GET /', 'HEAD /', 'OPTIONS /', 'GET /v1/{proxy+}', 'HEAD /v1/{proxy+}', 'OPTIONS /v1/{proxy+}'].sort(),
    );
    const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
    for (const route of routes) {
      const integrationId = render(route.Properties.Target).replace(/^integrations\/\$\{(.+)\}$/, '$1');
      const integration = integrations[integrationId].Properties;
      expect(integration.IntegrationUri).toEqual({ 'Fn::GetAtt': [functionId('api'), 'Arn'] });
      expect(integration.PayloadFormatVersion).toBe('2.0');
    }
  });

  test('CORS lets any origin GET (and HEAD) the listing', () => {
    const api = Object.values(template.findResources('AWS::ApiGatewayV2::Api'))[0].Properties;
    expect(api.CorsConfiguration).toMatchObject({ AllowOrigins: ['*'], AllowMethods: expect.arrayContaining(['GET', 'HEAD', 'OPTIONS']) });
    expect(api.CorsConfiguration.AllowMethods).not.toEqual(expect.arrayContaining(['POST']));
    expect(api.CorsConfiguration.AllowCredentials).toBeFalsy();
  });

  test('the HTTP API is throttled and writes access logs', () => {
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0].Properties;
    expect(stage.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 });
    expect(render(stage.AccessLogSettings.DestinationArn)).toMatch(/^\$\{ListingApiAccessLogs\w+\.Arn\}$/);
    expect(JSON.parse(stage.AccessLogSettings.Format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
  });

  test("the API function's concurrency is reserved, so a flood of listing requests cannot starve Build and Publish", () => {
    expect(resources[functionId('api')].Properties.ReservedConcurrentExecutions).toBe(20);
    for (const name of ['build', 'publish'] as FunctionName[]) expect(resources[functionId(name)].Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  test('the cursor-signing secret is generated per deployment, not derived from the table name', () => {
    const secrets = Object.entries(template.findResources('AWS::SecretsManager::Secret'));
    expect(secrets).toHaveLength(1);
    const [secretId, secret] = secrets[0];
    expect(secret.Properties.GenerateSecretString).toMatchObject({ PasswordLength: 48 });
    const variable = render(resources[functionId('api')].Properties.Environment.Variables.LAMINA_CURSOR_SECRET);
    expect(variable).toBe(`{{resolve:secretsmanager:\${${secretId}}:SecretString:::}}`);
    expect(variable).not.toContain(logicalIdOf(stack.table));
  });

  test('CloudFront serves the API and the static export: cached per Cache-Control, compressed, HTTPS only, logged', () => {
    const distribution = Object.values(template.findResources('AWS::CloudFront::Distribution'))[0].Properties.DistributionConfig;
    const behaviors = [distribution.DefaultCacheBehavior, ...distribution.CacheBehaviors];
    for (const behavior of behaviors) {
      expect(behavior).toMatchObject({ ViewerProtocolPolicy: 'https-only', Compress: true, AllowedMethods: ['GET', 'HEAD', 'OPTIONS'] });
    }
    expect(distribution.CacheBehaviors.map((behavior: { PathPattern: string }) => behavior.PathPattern)).toEqual(['/listing/*']);
    const policies = template.findResources('AWS::CloudFront::CachePolicy');
    const policyId = render(distribution.DefaultCacheBehavior.CachePolicyId).replace(/^\$\{(.+)\}$/, '$1');
    const policy = policies[policyId].Properties.CachePolicyConfig;
    // TTL 0 by default: the origin's Cache-Control decides; the query and Accept are part of the key.
    expect(policy).toMatchObject({ DefaultTTL: 0, MinTTL: 0 });
    expect(policy.ParametersInCacheKeyAndForwardedToOrigin).toMatchObject({
      EnableAcceptEncodingGzip: true,
      EnableAcceptEncodingBrotli: true,
      QueryStringsConfig: { QueryStringBehavior: 'all' },
      HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['accept'] },
    });
    const origins = distribution.Origins as { Id: string; DomainName: unknown; CustomOriginConfig?: { OriginProtocolPolicy: string }; S3OriginConfig?: unknown; OriginAccessControlId?: unknown }[];
    expect(origins).toHaveLength(2);
    expect(origins.find((origin) => origin.CustomOriginConfig)!.CustomOriginConfig!.OriginProtocolPolicy).toBe('https-only');
    expect(render(origins.find((origin) => origin.CustomOriginConfig)!.DomainName)).toContain('ListingApi');
    expect(origins.find((origin) => origin.S3OriginConfig)!.OriginAccessControlId).toBeDefined();
    expect(distribution.Logging).toMatchObject({ Prefix: 'cloudfront/' });
    // CloudFront may read the static export only.
    const bucketPolicy = Object.values(template.findResources('AWS::S3::BucketPolicy'))
      .filter((policy) => render(policy.Properties.Bucket) === `\${${logicalIdOf(stack.bucket)}}`)
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as (Statement & { Principal?: { Service?: string } })[]);
    const cloudFront = bucketPolicy.filter((statement) => statement.Principal?.Service === 'cloudfront.amazonaws.com');
    expect(cloudFront.map((statement) => [statement.Action, render(statement.Resource)])).toEqual([['s3:GetObject', `\${${logicalIdOf(stack.bucket)}.Arn}/listing/*`]]);
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(render(outputs.ListingUrl.Value)).toMatch(/^https:\/\/\$\{ListingDistribution\w+\.DomainName\}\/$/);
    expect(render(resources[functionId('report')].Properties.Environment.Variables.LAMINA_PUBLIC_URL)).toMatch(/^https:\/\/\$\{ListingDistribution\w+\.DomainName\}\/listing\/$/);
  });

  test('outputs the API URL, the state machine ARN, the table and the bucket', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['ApiUrl', 'StateMachineArn', 'TableName', 'BucketName']));
    expect(outputs.TableName.Value).toEqual({ Ref: logicalIdOf(stack.table) });
    expect(outputs.BucketName.Value).toEqual({ Ref: logicalIdOf(stack.bucket) });
  });
});

describe('IAM', () => {
  const LAYER_ACTIONS = [
    'lambda:PublishLayerVersion',
    'lambda:ListLayerVersions',
    'lambda:GetLayerVersion',
    'lambda:AddLayerVersionPermission',
    'lambda:RemoveLayerVersionPermission',
    'lambda:GetLayerVersionPolicy',
  ];
  const layerOfPrefix = new RegExp(`^arn:\\$\\{AWS::Partition\\}:lambda:\\*:\\$\\{AWS::AccountId\\}:layer:${PREFIX}-\\*(:\\*)?$`);

  test("publish may manage only the catalog prefix's layers", () => {
    const allowed = allowedActions(roleId('publish'));
    for (const action of LAYER_ACTIONS) {
      const scoped = allowed.get(action);
      expect({ action, scoped }).toEqual({ action, scoped: expect.any(Array) });
      expect(scoped).not.toContain('*');
      for (const resource of scoped!) expect({ action, resource }).toEqual({ action, resource: expect.stringMatching(layerOfPrefix) });
      expect(scoped!.some((resource) => resource.includes(`:layer:${PREFIX}-*`))).toBe(true);
    }
    expect(allowed.get('lambda:PublishLayerVersion')).toEqual([expect.stringMatching(new RegExp(`layer:${PREFIX}-\\*$`))]);
    expect(allowed.get('lambda:GetLayerVersion')).toEqual([expect.stringMatching(new RegExp(`layer:${PREFIX}-\\*:\\*$`))]);
    expect(allowed.has('lambda:DeleteLayerVersion')).toBe(false);
    // The version item and the latest pointer are read in one BatchGetItem, on the table alone.
    expect(allowed.get('dynamodb:BatchGetItem')).toEqual([`\${${logicalIdOf(stack.table)}.Arn}`]);
    // Zips over 50 MB are copied into the staging buckets: writes go there and nowhere else (test/infra/staging.test.ts).
    expect(allowed.get('s3:PutObject')).toContainEqual(expect.stringMatching(/:s3:::acme-staging-eu-west-1\/layers\/\*$/));
    expect(allowed.get('s3:PutObject')).toHaveLength(3);
  });

  test('expire may delete only versions of the prefix layers, and query only the expiry index', () => {
    const allowed = allowedActions(roleId('expire'));
    expect(allowed.get('lambda:DeleteLayerVersion')).toEqual([expect.stringMatching(layerOfPrefix)]);
    expect(allowed.get('dynamodb:Query')).toEqual([`\${${logicalIdOf(stack.table)}.Arn}/index/gsi2`]);
    expect(allowed.has('lambda:PublishLayerVersion')).toBe(false);
  });

  test('only publish and expire may change layers; plan may only list them; the API function only reads the table and SBOMs', () => {
    for (const name of ['build', 'plan-publishes', 'failure', 'report', 'api'] as FunctionName[]) {
      const lambdaActions = [...allowedActions(roleId(name)).keys()].filter((action) => action.startsWith('lambda:'));
      expect({ name, lambdaActions }).toEqual({ name, lambdaActions: [] });
    }
    const planLambda = [...allowedActions(roleId('plan')).entries()].filter(([action]) => action.startsWith('lambda:'));
    expect(planLambda).toEqual([['lambda:ListLayers', ['*']]]);
    expect([...allowedActions(roleId('api')).keys()].sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 's3:GetObject']);
    expect([...allowedActions(roleId('failure')).keys()]).toEqual(['dynamodb:PutItem']);
    expect(allowedActions(roleId('plan')).get('s3:PutObject')).toEqual([`\${${logicalIdOf(stack.bucket)}.Arn}/runs/*`]);
    expect(allowedActions(roleId('api')).get('s3:GetObject')).toEqual([`\${${logicalIdOf(stack.bucket)}.Arn}/layers/*`]);
    expect([...allowedActions(roleId('report')).keys()].sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'events:PutEvents', 's3:GetObject', 's3:PutObject', 'sns:Publish']);
    expect(allowedActions(roleId('report')).get('s3:GetObject')).toEqual([`\${${logicalIdOf(stack.bucket)}.Arn}/runs/*`]);
    expect(allowedActions(roleId('report')).get('s3:PutObject')).toEqual([`\${${logicalIdOf(stack.bucket)}.Arn}/listing/*`]);
    // PlanPublishes reads the Builds map's results and writes only each region's layers.
    expect([...allowedActions(roleId('plan-publishes')).keys()].sort()).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(allowedActions(roleId('plan-publishes')).get('s3:GetObject')).toEqual([`\${${logicalIdOf(stack.bucket)}.Arn}/runs/*`]);
    expect(allowedActions(roleId('plan-publishes')).get('s3:PutObject')).toEqual([`\${${logicalIdOf(stack.bucket)}.Arn}/runs/*/publishes/*.json`]);
    // Build stores the built zip, and leaves the pending build record under runs/ for Seal.
    expect(allowedActions(roleId('build')).get('s3:PutObject')).toEqual([`\${${logicalIdOf(stack.bucket)}.Arn}/layers/*`, `\${${logicalIdOf(stack.bucket)}.Arn}/runs/*`]);
    expect(allowedActions(roleId('plan')).get('account:ListRegions')).toEqual(['arn:${AWS::Partition}:account::${AWS::AccountId}:account']);
    expect(allowedActions(roleId('plan')).get('ssm:GetParametersByPath')).toEqual(
      expect.arrayContaining([expect.stringMatching(/:ssm:\$\{AWS::Region\}::parameter\/aws\/service\/global-infrastructure\/services\/lambda\/regions$/)]),
    );
  });

  test('no policy in the stack names an action with a wildcard', () => {
    const actions = Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::IAM::Policy')
      .flatMap((policy) => (policy.Properties.PolicyDocument.Statement as Statement[]).flatMap((statement) => asList(statement.Action)));
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
  });
});

describe('notices and lookups', () => {
  const topicId = () => logicalIdOf(stack.topic);
  const lookups = new RegExp(`^arn:\\$\\{AWS::Partition\\}:ssm:\\*:\\$\\{AWS::AccountId\\}:parameter/${PREFIX}/layers/\\*$`);
  const defaultBus = 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default';

  test('a topic for people, SSL only, with the catalog\'s emails subscribed', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@acme.example', TopicArn: { Ref: topicId() } });
    template.resourceCountIs('AWS::SNS::Subscription', 1);
    const policy = Object.values(template.findResources('AWS::SNS::TopicPolicy'))[0].Properties.PolicyDocument.Statement as Statement[];
    expect(policy).toEqual(expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]));
  });

  test('publish, report and expire learn the prefix, the topics and the reminder days', () => {
    for (const name of ['publish', 'report', 'expire'] as FunctionName[]) {
      const variables = resources[functionId(name)].Properties.Environment.Variables;
      expect(JSON.parse(variables.LAMINA_NOTICES)).toEqual({ prefix: PREFIX, reminderDays: 5, topics: ['arn:aws:sns:eu-west-1:123456789012:acme-platform'] });
      expect(variables.LAMINA_TOPIC_ARN).toEqual({ Ref: topicId() });
    }
  });

  test('events go to the default bus only, from the steps that send them', () => {
    for (const name of ['publish', 'report', 'expire'] as FunctionName[]) expect(allowedActions(roleId(name)).get('events:PutEvents')).toEqual([defaultBus]);
    for (const name of ['plan', 'build', 'failure', 'api'] as FunctionName[]) expect(allowedActions(roleId(name)).has('events:PutEvents')).toBe(false);
  });

  test("SNS messages go to lamina's topic and the catalog's, from report and expire only", () => {
    for (const name of ['report', 'expire'] as FunctionName[]) {
      expect(allowedActions(roleId(name)).get('sns:Publish')?.sort()).toEqual([`\${${topicId()}}`, 'arn:aws:sns:eu-west-1:123456789012:acme-platform'].sort());
    }
    for (const name of ['plan', 'build', 'publish', 'failure', 'api'] as FunctionName[]) expect(allowedActions(roleId(name)).has('sns:Publish')).toBe(false);
  });

  test('SSM lookups are written only under /<prefix>/layers/*: publish puts, expire also deletes', () => {
    expect(allowedActions(roleId('publish')).get('ssm:PutParameter')).toEqual([expect.stringMatching(lookups)]);
    expect(allowedActions(roleId('publish')).get('ssm:GetParameter')).toEqual([expect.stringMatching(lookups)]);
    expect(allowedActions(roleId('publish')).has('ssm:DeleteParameter')).toBe(false);
    for (const action of ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter']) expect(allowedActions(roleId('expire')).get(action)).toEqual([expect.stringMatching(lookups)]);
    for (const name of ['plan', 'build', 'failure', 'report', 'api'] as FunctionName[]) expect(allowedActions(roleId(name)).has('ssm:PutParameter')).toBe(false);
  });
});

describe('catalog file', () => {
  test('an invalid catalog fails synth naming the file and the field', () => {
    const file = path.join(workDir, 'bad.yaml');
    writeFileSync(file, 'settings:\n  schedule: every day\nlayers:\n  - name: bash\n    kind: bash-runtime\n');
    expect(() => readCatalogFile(file)).toThrow(/bad\.yaml[\s\S]*settings\.schedule/);
  });

  test('a missing catalog says how to pass another one', () => {
    expect(() => readCatalogFile(path.join(workDir, 'missing.yaml'))).toThrow(/missing\.yaml[\s\S]*-c catalog=/);
  });
});
