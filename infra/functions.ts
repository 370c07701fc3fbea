import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import * as path from 'node:path';
import type { HandlerName } from '../statemachine/definition';

/** Every Lambda function lamina deploys: the state machine's tasks and the listing API. */
export type FunctionName = HandlerName | 'api';
export const FUNCTION_NAMES: readonly FunctionName[] = ['plan', 'build', 'seal', 'plan-publishes', 'publish', 'failure', 'report', 'expire', 'api'];

/** The repository root: NodejsFunction resolves entries, package-lock.json and esbuild from here. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** `functions/<name>/handler.ts`, each exporting `handler`. */
export function handlerEntry(name: FunctionName): string {
  return path.join(PROJECT_ROOT, 'functions', name, 'handler.ts');
}

export interface FunctionSizing {
  description: string;
  memorySize: number;
  timeout: Duration;
  ephemeralStorageSize?: Size;
}

/**
 * Memory and timeouts. The task timeouts match the TimeoutSeconds of their states in statemachine/pipeline.asl.json.
 * Build gets the most memory (CPU scales with it: unpacking and zipping are CPU bound) and 10 GB of /tmp, where it
 * lays out and zips a layer of up to 250 MB unzipped.
 */
export const FUNCTION_SIZING: Record<FunctionName, FunctionSizing> = {
  plan: { description: 'lamina: expand the catalog, resolve versions, decide what to build', memorySize: 1024, timeout: Duration.minutes(5) },
  build: {
    description: 'lamina: build one layer zip in /tmp and store it in the artifact bucket',
    memorySize: 4096,
    timeout: Duration.minutes(15),
    ephemeralStorageSize: Size.gibibytes(10),
  },
  seal: {
    description: 'lamina: after Verify, make the zip to publish (the built zip plus bytecode) and record the build',
    memorySize: 3008,
    timeout: Duration.minutes(15),
    ephemeralStorageSize: Size.gibibytes(10),
  },
  // Reads every sealed layer's descriptor (about 1 KB each: up to 10,000) and writes one array per region.
  'plan-publishes': { description: "lamina: after the builds, write each region's layers to publish", memorySize: 1024, timeout: Duration.minutes(5) },
  publish: { description: 'lamina: publish one layer to one region and set its permissions', memorySize: 1024, timeout: Duration.minutes(5) },
  failure: { description: 'lamina: record a build or publish that failed after its retries', memorySize: 256, timeout: Duration.minutes(1) },
  report: { description: 'lamina: record the run summary', memorySize: 512, timeout: Duration.minutes(5) },
  expire: { description: 'lamina: delete deprecated layer versions past their expiry', memorySize: 512, timeout: Duration.minutes(15) },
  api: { description: 'lamina: the read-only listing API', memorySize: 1024, timeout: Duration.seconds(10) },
};

/** A shell command that copies a file, quoted for the shell CDK runs bundling hooks in. */
export function copyCommand(from: string, to: string): string {
  const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
  // Folders too (a files entry's folder), at nested places of the bundle (an npm entry's app/package-lock.json).
  return `mkdir -p ${quote(path.dirname(to))} && cp -R ${quote(from)} ${quote(to)}`;
}

export interface LaminaFunctionOptions {
  name: FunctionName;
  environment: Record<string, string>;
  /** Overrides `functions/<name>/handler.ts` (tests use this for a handler that is not written yet). */
  entry?: string;
  /** Files to place at the root of the bundle, by their name there (e.g. the catalog as `catalog.yaml`). */
  extraFiles?: Record<string, string>;
  /** For functions that are not one of the pipeline's handlers (the verify functions): their own runtime and size. */
  runtime?: lambda.Runtime;
  architecture?: lambda.Architecture;
  sizing?: FunctionSizing;
}

/**
 * One handler as a NodejsFunction: bundled by the local esbuild (never Docker), Node.js 22 (arm64, but Build on x86_64), source maps
 * on, the AWS SDK bundled (the versions lamina was tested with, not whatever the runtime ships), and a log group
 * with a retention.
 */
export function createLaminaFunction(scope: Construct, id: string, options: LaminaFunctionOptions): nodejs.NodejsFunction {
  const sizing = options.sizing ?? FUNCTION_SIZING[options.name];
  const runtime = options.runtime ?? lambda.Runtime.NODEJS_22_X;
  const extraFiles = Object.entries(options.extraFiles ?? {});
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  return new nodejs.NodejsFunction(scope, id, {
    entry: options.entry ?? handlerEntry(options.name),
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
    runtime,
    // Build stays on x86_64, where most native build tools are; every other handler is architecture-neutral and
    // cheaper on arm64. Verify functions run on the architecture they verify.
    architecture: options.architecture ?? (options.name === 'build' ? lambda.Architecture.X86_64 : lambda.Architecture.ARM_64),
    description: sizing.description,
    memorySize: sizing.memorySize,
    timeout: sizing.timeout,
    ephemeralStorageSize: sizing.ephemeralStorageSize,
    logGroup,
    environment: { NODE_OPTIONS: '--enable-source-maps', ...options.environment },
    bundling: {
      forceDockerBundling: false,
      target: runtime.name.replace(/^nodejs(\d+)\.x$/, 'node$1'),
      format: nodejs.OutputFormat.CJS,
      minify: true,
      sourceMap: true,
      externalModules: [],
      commandHooks:
        extraFiles.length === 0
          ? undefined
          : {
              beforeBundling: () => [],
              beforeInstall: () => [],
              afterBundling: (_inputDir: string, outputDir: string) =>
                extraFiles.map(([name, from]) => copyCommand(from, path.join(outputDir, name))),
            },
    },
  });
}
