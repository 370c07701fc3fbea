import { App } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LaminaStack } from '../../infra/lamina-stack';
import { catalogVerifyTargets } from '../../infra/verify-functions';
import { loadCatalog } from '../../functions/catalog/catalog';
import { DEFINITION_FILE, TASK_FUNCTIONS, substitutedDefinition } from '../../statemachine/definition';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (definition: unknown, options?: { checkArn?: boolean; checkPaths?: boolean }) => { isValid: boolean; errorsText: (s?: string) => string };

// Runtimes and architectures chosen so that each kind of verify function appears, and some pairs repeat.
const CATALOG = `settings:
  prefix: acme
  regions: [us-east-1]
layers:
  - name: bash
    kind: bash-runtime
  - name: node22
    kind: node-runtime
    version: "22"
    architectures: [x86_64]
  - name: requests
    kind: python
    requirements: [requests]
    runtimes: [python3.12, python3.13]
    architectures: [x86_64, arm64]
  - name: attrs
    kind: python
    requirements: [attrs]
    runtimes: [python3.12]
    architectures: [arm64]
  - name: express
    kind: npm
    packages: [express]
    runtimes: [nodejs22.x]
    architectures: [arm64]
`;

const EXPECTED = [
  'nodejs22.x/arm64',
  'provided.al2023/arm64',
  'provided.al2023/x86_64',
  'python3.12/arm64',
  'python3.12/x86_64',
  'python3.13/arm64',
  'python3.13/x86_64',
];

let workDir: string;
let stack: LaminaStack;
let resources: Record<string, { Type: string; Properties: Record<string, any> }>;

beforeAll(() => {
  workDir = mkdtempSync(path.join(tmpdir(), 'lamina-verify-infra-'));
  const catalogFile = path.join(workDir, 'catalog.yaml');
  writeFileSync(catalogFile, CATALOG);
  const { context } = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({ outdir: path.join(workDir, 'cdk.out'), context });
  stack = new LaminaStack(app, 'LaminaVerifyTest', { catalogFile });
  resources = app.synth().getStackByName(stack.stackName).template.Resources;
}, 600_000);

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const logicalIdOf = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as CfnFunction | CfnRole);

function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(render).join(',');
  const object = value as Record<string, any>;
  if ('Fn::Join' in object) return (object['Fn::Join'][1] as unknown[]).map(render).join(object['Fn::Join'][0]);
  if ('Ref' in object) return `\${${object.Ref}}`;
  if ('Fn::GetAtt' in object) return `\${${(object['Fn::GetAtt'] as string[]).join('.')}}`;
  return JSON.stringify(value);
}

/** Action → resources, over every inline policy of a role. */
function allowedActions(roleLogicalId: string): Map<string, string[]> {
  const allowed = new Map<string, string[]>();
  for (const policy of Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy')) {
    if (!(policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleLogicalId)) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement as Array<{ Effect: string; Action: string | string[]; Resource: unknown }>) {
      if (statement.Effect !== 'Allow') continue;
      for (const action of [statement.Action].flat()) {
        const list = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
        allowed.set(action, [...(allowed.get(action) ?? []), ...list.map(render)].sort());
      }
    }
  }
  return allowed;
}

describe('verify functions (CDK)', () => {
  test('one per runtime × architecture the catalog uses, no more, no fewer', async () => {
    const catalog = await loadCatalog(path.join(workDir, 'catalog.yaml'));
    expect(catalogVerifyTargets(catalog).map((t) => `${t.runtime}/${t.architecture}`)).toEqual(EXPECTED);
    expect([...stack.verifyFunctions.keys()]).toEqual(EXPECTED);
    const verifyIds = new Set([...stack.verifyFunctions.values()].map(logicalIdOf));
    const lambdas = Object.entries(resources).filter(([id, r]) => r.Type === 'AWS::Lambda::Function' && verifyIds.has(id));
    expect(lambdas).toHaveLength(EXPECTED.length);
  });

  test('Python ones run verify_layer.py (standard library only) on exactly that python3.X and architecture; the others the Node.js verify handler', () => {
    for (const [key, fn] of stack.verifyFunctions) {
      const [runtime, architecture] = key.split('/');
      const properties = resources[logicalIdOf(fn)].Properties;
      expect(properties.Architectures).toEqual([architecture]);
      expect(properties.Timeout).toBe(900);
      expect(properties.Environment.Variables.LAMINA_BUCKET).toEqual({ Ref: logicalIdOf(stack.bucket as never) });
      if (runtime.startsWith('python')) {
        expect({ runtime: properties.Runtime, handler: properties.Handler }).toEqual({ runtime, handler: 'verify_layer.handler' });
        const asset = path.join(workDir, 'cdk.out', `asset.${render(properties.Code.S3Key).replace(/\.zip$/, '')}`);
        expect(readdirSync(asset)).toEqual(['verify_layer.py']);
      } else {
        // provided.* layers are invoked through their bootstrap from nodejs22.x, on Amazon Linux 2023 like provided.al2023.
        expect({ runtime: properties.Runtime, handler: properties.Handler }).toEqual({ runtime: runtime.startsWith('nodejs') ? runtime : 'nodejs22.x', handler: 'index.handler' });
      }
    }
  });

  test('least privilege: read built zips (and, Node.js side, resolved targets), write only under runs/; nothing else', () => {
    const bucket = logicalIdOf(stack.bucket as never);
    for (const [key, fn] of stack.verifyFunctions) {
      const allowed = allowedActions(logicalIdOf(fn.role as never));
      const reads = key.startsWith('python') ? [`\${${bucket}.Arn}/layers/*`] : [`\${${bucket}.Arn}/layers/*`, `\${${bucket}.Arn}/runs/*`];
      expect(Object.fromEntries(allowed)).toEqual({ 's3:GetObject': reads.sort(), 's3:PutObject': [`\${${bucket}.Arn}/runs/*`] });
    }
  });

  test('wired in: Build names each function by runtime/architecture, the state machine may invoke exactly those, the Verify map calls the one named', () => {
    const build = resources[logicalIdOf(stack.functions.build)].Properties;
    const named = render(build.Environment.Variables.LAMINA_VERIFY_FUNCTIONS);
    for (const [key, fn] of stack.verifyFunctions) expect(named).toContain(`"${key}":"\${${logicalIdOf(fn)}.Arn}"`);
    const machine = Object.values(resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine')!;
    const invocable = allowedActions(machine.Properties.RoleArn['Fn::GetAtt'][0]).get('lambda:InvokeFunction') ?? [];
    for (const fn of stack.verifyFunctions.values()) {
      expect(invocable).toContain(`\${${logicalIdOf(fn)}.Arn}`);
    }
    const definition = JSON.parse(readFileSync(DEFINITION_FILE, 'utf8'));
    const builds = definition.States.Builds.ItemProcessor.States;
    expect(builds.Build.Next).toBe('Verify');
    expect(builds.Verify.ItemsPath).toBe('$.checks');
    expect(builds.Verify.ItemProcessor.States.VerifyTarget).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { 'FunctionName.$': '$.check.functionName', 'Payload.$': '$' },
      OutputPath: '$.Payload',
    });
    expect(builds.Verify.Next).toBe('Seal');
    // Seal ends the build's child execution: publishing is the Publishes map's, after every build.
    expect(builds.Seal.End).toBe(true);
  });

  test('the ASL validates (asl-validator) with the Verify states in it', () => {
    const substitutions: Record<string, string> = { ArtifactBucketName: 'lamina-artifacts' };
    for (const [variable, handler] of Object.entries(TASK_FUNCTIONS)) substitutions[variable] = `arn:aws:lambda:us-east-1:123456789012:function:lamina-${handler}`;
    const result = aslValidator(JSON.parse(substitutedDefinition(substitutions)), { checkArn: true, checkPaths: true });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });
});
