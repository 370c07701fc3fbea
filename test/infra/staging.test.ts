import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { stagingBucketName } from '../../functions/publish/staging';
import { LAMBDA_REGIONS } from '../../functions/regions/lambda-regions';
import { createLaminaDeployment, type LaminaDeployment } from '../../infra/lamina-app';
import { parseRegionList } from '../../infra/staging-regions';

const catalog = (regions: string) => `settings:\n  prefix: acme\n  regions: ${regions}\nlayers:\n  - name: bash\n    kind: bash-runtime\n`;

let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(path.join(tmpdir(), 'lamina-staging-infra-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** A deployment synthesized without bundling the functions (their code is not under test here). */
function deploy(regions: string, props: { excludeRegions?: string[]; stagingBuckets?: Record<string, string>; deploymentId?: string } = {}): LaminaDeployment {
  const catalogFile = path.join(workDir, `catalog-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(catalogFile, catalog(regions));
  const { context } = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({ outdir: path.join(workDir, 'cdk.out'), context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  return createLaminaDeployment(app, 'Lamina', { catalogFile, ...props });
}

/** A bucket name as CloudFormation builds it, with the account as ${AWS::AccountId}. */
function rendered(value: unknown): string {
  if (typeof value === 'string') return value;
  const object = value as Record<string, any>;
  if ('Fn::Join' in object) return (object['Fn::Join'][1] as unknown[]).map(rendered).join(object['Fn::Join'][0]);
  if ('Ref' in object) return `\${${object.Ref}}`;
  if ('Fn::GetAtt' in object) return `\${${(object['Fn::GetAtt'] as string[]).join('.')}}`;
  return JSON.stringify(value);
}

describe('staging stacks', () => {
  test('one stack per catalog region, deployed in that region, with one private, SSL-only, expiring bucket', () => {
    const { main, staging } = deploy('[us-east-1, eu-west-1, ap-southeast-2]');
    expect(staging.map((stack) => stack.region).sort()).toEqual(['ap-southeast-2', 'eu-west-1', 'us-east-1']);
    expect(main.dependencies.map((stack) => stack.stackName).sort()).toEqual(staging.map((stack) => stack.stackName).sort());
    for (const stack of staging) {
      const template = Template.fromStack(stack);
      const buckets = Object.values(template.findResources('AWS::S3::Bucket'));
      expect(buckets).toHaveLength(1);
      const bucket = buckets[0] as { Properties: Record<string, any>; DeletionPolicy: string };
      expect(rendered(bucket.Properties.BucketName)).toBe(`lamina-stage-lamina-\${AWS::AccountId}-${stack.region}`);
      expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
        { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
      ]);
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.VersioningConfiguration).toBeUndefined();
      expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual([
        expect.objectContaining({ Prefix: 'layers/', ExpirationInDays: 1, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
      ]);
      expect(bucket.DeletionPolicy).toBe('Delete');
      // enforceSSL: a bucket policy denying every request not over TLS.
      const policies = Object.values(template.findResources('AWS::S3::BucketPolicy')) as { Properties: { PolicyDocument: { Statement: any[] } } }[];
      expect(policies).toHaveLength(1);
      expect(policies[0].Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
      // No assets: a staging stack needs nothing uploaded, only the region's bootstrap roles to deploy.
      expect(Object.keys(template.findResources('AWS::Lambda::Function'))).toEqual([]);
    }
  });

  test('regions: all stages in every built-in region less excludeRegions', () => {
    const { staging } = deploy('all', { excludeRegions: ['ap-east-1', 'me-south-1'] });
    expect(staging.map((stack) => stack.region).sort()).toEqual(LAMBDA_REGIONS.filter((region) => !['ap-east-1', 'me-south-1'].includes(region)));
    expect(() => deploy('all', { excludeRegions: ['mars-north-1'] })).toThrow(/excludeRegions names mars-north-1, which is not a region where Lambda runs/);
    expect(parseRegionList('ap-east-1, me-south-1', 'excludeRegions')).toEqual(['ap-east-1', 'me-south-1']);
    expect(parseRegionList('["ap-east-1"]', 'excludeRegions')).toEqual(['ap-east-1']);
    expect(() => parseRegionList('[ap-east-1', 'excludeRegions')).toThrow(/excludeRegions is not a JSON list/);
  });

  test('a deployment id keeps two deployments in one account apart, and is checked', () => {
    const { staging } = deploy('[eu-west-1]', { deploymentId: 'blue2' });
    const bucket = Object.values(Template.fromStack(staging[0]).findResources('AWS::S3::Bucket'))[0] as { Properties: { BucketName: unknown } };
    expect(rendered(bucket.Properties.BucketName)).toBe('lamina-stage-blue2-${AWS::AccountId}-eu-west-1');
    expect(() => deploy('[eu-west-1]', { deploymentId: 'Blue_2' })).toThrow(/deployment id "Blue_2" must be 1-12 lowercase letters or digits/);
    // The longest region and id still give a valid bucket name (3-63 characters).
    expect(stagingBucketName('abcdefghijkl', '123456789012', 'ap-southeast-5').length).toBeLessThanOrEqual(63);
  });
});

describe('publish and the staging buckets', () => {
  test('Publish finds each bucket by name, and may write, read and delete staged copies only there', () => {
    const { main } = deploy('[us-east-1, eu-west-1]', { stagingBuckets: { 'eu-west-1': 'my-own-eu' } });
    const template = Template.fromStack(main);
    const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
    const publishId = main.getLogicalId(main.functions.publish.node.defaultChild as CfnFunction);
    const variables = resources[publishId].Properties.Environment.Variables;
    expect(variables.LAMINA_ACCOUNT_ID).toEqual({ Ref: 'AWS::AccountId' });
    expect(variables.LAMINA_DEPLOYMENT_ID).toBe('lamina');
    expect(variables.LAMINA_STAGING_REGIONS).toBe('eu-west-1,us-east-1');
    expect(JSON.parse(variables.LAMINA_STAGING_BUCKETS)).toEqual({ 'eu-west-1': 'my-own-eu' });

    const roleId = main.getLogicalId(main.functions.publish.role!.node.defaultChild as CfnFunction);
    const allowed = new Map<string, string[]>();
    for (const policy of Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy')) {
      if (!(policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId)) continue;
      for (const statement of policy.Properties.PolicyDocument.Statement as { Effect: string; Action: string | string[]; Resource: unknown }[]) {
        if (statement.Effect !== 'Allow') continue;
        const resourcesOf = (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]).map(rendered);
        for (const action of Array.isArray(statement.Action) ? statement.Action : [statement.Action]) {
          allowed.set(action, [...(allowed.get(action) ?? []), ...resourcesOf]);
        }
      }
    }
    const staged = [
      'arn:${AWS::Partition}:s3:::lamina-stage-lamina-${AWS::AccountId}-us-east-1/layers/*',
      'arn:${AWS::Partition}:s3:::lamina-stage-lamina-${AWS::AccountId}-eu-west-1/layers/*',
      'arn:${AWS::Partition}:s3:::my-own-eu/layers/*',
    ];
    expect(new Set(allowed.get('s3:PutObject'))).toEqual(new Set(staged));
    expect(new Set(allowed.get('s3:DeleteObject'))).toEqual(new Set(staged));
    const artifactLayers = `\${${main.getLogicalId(main.bucket.node.defaultChild as CfnFunction)}.Arn}/layers/*`;
    expect(new Set(allowed.get('s3:GetObject'))).toEqual(new Set([artifactLayers, ...staged]));
    const s3Actions = [...allowed.keys()].filter((action) => action.startsWith('s3:')).sort();
    expect(s3Actions).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:PutObject']);
    // No other function may touch the staging buckets.
    for (const [id, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::IAM::Policy' || (resource.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId)) continue;
      expect({ id, text: JSON.stringify(resource.Properties.PolicyDocument) }).not.toEqual({ id, text: expect.stringMatching(/lamina-stage-|my-own-eu/) });
    }
  });
});
