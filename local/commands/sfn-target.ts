import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { SFNClient } from '@aws-sdk/client-sfn';
import * as path from 'node:path';
import { resetDocumentClient } from '../../functions/aws/dynamodb';
import { readServeInfo } from '../stepfunctions-api/discovery';
import { UsageError } from './command';

/** The deployed (or embedded) pipeline the run commands talk to. */
export interface PipelineTarget {
  sfn: SFNClient;
  stateMachineArn: string;
  /** Where it was found, for messages. */
  source: string;
  /** Whether the run's records (outcomes, latest ARNs) can be read: the table is known. */
  records: boolean;
}

export const TARGET_OPTIONS = {
  'state-machine-arn': { type: 'string' },
  'endpoint-url': { type: 'string' },
  'stack-name': { type: 'string' },
  region: { type: 'string' },
  state: { type: 'string', default: '.lamina' },
} as const;

export interface TargetValues {
  'state-machine-arn'?: string;
  'endpoint-url'?: string;
  'stack-name'?: string;
  region?: string;
  state?: string;
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;
const LOOPBACK = /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?\/?$/;

/**
 * Finds the state machine as the SDK would be pointed at it: `--state-machine-arn`, else the `lamina serve` of the
 * state folder (its serve.json), else the CloudFormation stack's `StateMachineArn` output (`--stack-name`, default
 * Lamina). The endpoint is `--endpoint-url`, AWS_ENDPOINT_URL_SFN or AWS_ENDPOINT_URL, as the SDK takes them. The
 * run's records are read from the served pipeline's DynamoDB, the stack's `TableName` output, or LAMINA_TABLE.
 */
export async function findPipeline(values: TargetValues): Promise<PipelineTarget> {
  const configured = values['endpoint-url'] ?? process.env.AWS_ENDPOINT_URL_SFN ?? process.env.AWS_ENDPOINT_URL;
  const serve = await readServeInfo(path.resolve(values.state ?? '.lamina'));
  let stateMachineArn = values['state-machine-arn'];
  let endpoint = configured;
  let source = '--state-machine-arn';
  let records = Boolean(process.env.LAMINA_TABLE);
  const useServe = serve && !values['stack-name'] && (configured === undefined || configured.replace(/\/$/, '') === serve.stepFunctions) && (!stateMachineArn || stateMachineArn === serve.stateMachineArn);
  if (useServe) {
    endpoint = serve.stepFunctions;
    stateMachineArn = serve.stateMachineArn;
    source = `lamina serve (${serve.stepFunctions})`;
    // The served pipeline's records: its DynamoDB and table.
    for (const name of ['AWS_ENDPOINT_URL_DYNAMODB', 'LAMINA_TABLE', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
      if (serve.env[name]) process.env[name] = serve.env[name];
    }
    resetDocumentClient();
    records = true;
  } else if (!stateMachineArn) {
    const stackName = values['stack-name'] ?? 'Lamina';
    const cloudFormation = new CloudFormationClient({ region: values.region });
    let outputs: { OutputKey?: string; OutputValue?: string }[];
    try {
      outputs = (await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0]?.Outputs ?? [];
    } catch (error) {
      throw new UsageError(
        `could not read stack ${stackName}'s outputs (${(error as Error).name}: ${(error as Error).message}); deploy lamina with npx cdk deploy, name its stack with --stack-name, or give --state-machine-arn`,
      );
    } finally {
      cloudFormation.destroy();
    }
    const output = (key: string) => outputs.find((candidate) => candidate.OutputKey === key)?.OutputValue;
    stateMachineArn = output('StateMachineArn');
    if (!stateMachineArn) {
      throw new UsageError(`stack ${stackName} has no StateMachineArn output, so it is not a lamina stack; name lamina's stack with --stack-name, or give --state-machine-arn`);
    }
    if (output('TableName')) {
      process.env.LAMINA_TABLE = output('TableName');
      records = true;
    }
    source = `stack ${stackName}`;
  }
  const match = STATE_MACHINE_ARN.exec(stateMachineArn);
  if (!match) throw new UsageError(`${stateMachineArn} is not a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>)`);
  const local = endpoint !== undefined && LOOPBACK.test(endpoint);
  const sfn = new SFNClient({
    region: values.region ?? match[1],
    endpoint,
    maxAttempts: 3,
    // The embedded API takes any credentials; a laptop may have none.
    credentials: local && !process.env.AWS_ACCESS_KEY_ID ? { accessKeyId: 'lamina-local', secretAccessKey: 'lamina-local' } : undefined,
  });
  return { sfn, stateMachineArn, source, records };
}

/** An execution's ARN from a run id (its name) or the ARN itself. */
export function executionArnOf(target: PipelineTarget, run: string): string {
  if (run.startsWith('arn:')) return run;
  return `${target.stateMachineArn.replace(':stateMachine:', ':execution:')}:${run}`;
}
