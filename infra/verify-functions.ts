import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import * as path from 'node:path';
import { expandCatalog, type Catalog } from '../functions/catalog/catalog';
import type { VerifyTarget } from '../functions/layers/kind';
import { verifyFunctionKey } from '../functions/verify/checks';
import { runtimeFamily } from '../functions/verify/environments';
import { verifyTargetsOf } from '../functions/verify/verify';
import { ARTIFACT_PREFIXES } from './artifact-bucket';
import { createLaminaFunction, PROJECT_ROOT, type FunctionSizing } from './functions';

/** The folder deployed as the Python verify functions' code: verify_layer.py alone, standard library only. */
export const PYTHON_VERIFY_CODE = path.join(PROJECT_ROOT, 'functions', 'verify', 'python');

/** Every runtime × architecture the catalog's layers are verified on, once each, in a stable order. */
export function catalogVerifyTargets(catalog: Catalog): VerifyTarget[] {
  const seen = new Map<string, VerifyTarget>();
  for (const target of expandCatalog(catalog)) {
    for (const check of verifyTargetsOf(target)) seen.set(verifyFunctionKey(check.runtime, check.architecture), check);
  }
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, check]) => check);
}

const SIZING: FunctionSizing = {
  description: '',
  // Importing a layer's modules can take memory; CPU scales with it (compiling thousands of files).
  memorySize: 3008,
  timeout: Duration.minutes(15),
  ephemeralStorageSize: Size.gibibytes(10),
};

/** `python3.12` → `Python312`, `provided.al2023` → `ProvidedAl2023`: part of a construct id. */
function idPart(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}

/**
 * One verify function per runtime × architecture the catalog uses. Python targets: verify_layer.py on exactly that
 * python3.X runtime. nodejsN.x targets: the Node.js verify handler on that runtime. provided.* targets (runtime
 * layers): the Node.js verify handler on nodejs22.x, which runs on Amazon Linux 2023 like provided.al2023, and
 * invokes the layer's own bootstrap. Each may read built zips and resolved targets and write only under runs/.
 */
export function createVerifyFunctions(scope: Construct, catalog: Catalog, bucket: s3.IBucket): Map<string, lambda.Function> {
  const functions = new Map<string, lambda.Function>();
  for (const check of catalogVerifyTargets(catalog)) {
    const id = `Verify${idPart(check.runtime)}${idPart(check.architecture)}`;
    const architecture = check.architecture === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64;
    const description = `lamina: verify layers on ${check.runtime} ${check.architecture} before they are published`;
    const family = runtimeFamily(check.runtime);
    let fn: lambda.Function;
    if (family.family === 'python') {
      const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
      fn = new lambda.Function(scope, id, {
        runtime: new lambda.Runtime(check.runtime, lambda.RuntimeFamily.PYTHON),
        architecture,
        handler: 'verify_layer.handler',
        code: lambda.Code.fromAsset(PYTHON_VERIFY_CODE, { exclude: ['__pycache__', '*.pyc'] }),
        description,
        memorySize: SIZING.memorySize,
        timeout: SIZING.timeout,
        ephemeralStorageSize: SIZING.ephemeralStorageSize,
        logGroup,
        environment: { LAMINA_BUCKET: bucket.bucketName },
      });
    } else {
      const runtime = family.family === 'node' ? new lambda.Runtime(check.runtime, lambda.RuntimeFamily.NODEJS) : lambda.Runtime.NODEJS_22_X;
      fn = createLaminaFunction(scope, id, {
        name: 'build',
        entry: path.join(PROJECT_ROOT, 'functions', 'verify', 'handler.ts'),
        environment: { LAMINA_BUCKET: bucket.bucketName },
        runtime,
        architecture,
        sizing: { ...SIZING, description },
      });
    }
    const objects = (prefix: string) => `${bucket.bucketArn}/${prefix}*`;
    // The built zip and (Node.js side) the resolved target; what the check added goes under runs/ for Seal.
    const read = family.family === 'python' ? [objects(ARTIFACT_PREFIXES.layers)] : [objects(ARTIFACT_PREFIXES.layers), objects(ARTIFACT_PREFIXES.runs)];
    fn.addToRolePolicy(new iam.PolicyStatement({ effect: iam.Effect.ALLOW, actions: ['s3:GetObject'], resources: read }));
    fn.addToRolePolicy(new iam.PolicyStatement({ effect: iam.Effect.ALLOW, actions: ['s3:PutObject'], resources: [objects(ARTIFACT_PREFIXES.runs)] }));
    functions.set(verifyFunctionKey(check.runtime, check.architecture), fn);
  }
  return functions;
}
