import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand, SSMClient, type PutParameterCommandInput, type PutParameterCommandOutput } from '@aws-sdk/client-ssm';
import { sharedClient } from './clients';
import { CLIENT_SETTINGS } from './endpoints';
import { LeanClient, answerObject, orderedBody, type LeanOperation, jsonOperation } from './lean-json-request';

/** PutParameterRequest's members a lean PutParameter sends, in its schema's order; not Tags (a list of structures). */
const PUT_PARAMETER_MEMBERS = ['Name', 'Value', 'Description', 'Type', 'KeyId', 'Overwrite', 'AllowedPattern', 'Tier', 'Policies', 'DataType'] as const satisfies readonly (keyof PutParameterCommandInput)[];

/** PutParameter (Publish's and Expire's lookups) as a lean request (functions/aws/lean-json-request.ts). */
export const PUT_PARAMETER_OPERATION: LeanOperation<PutParameterCommandInput, PutParameterCommandOutput> = jsonOperation({
  command: PutParameterCommand,
  target: 'AmazonSSM.PutParameter',
  contentType: 'application/x-amz-json-1.1',
  body: (input) => orderedBody(input, PUT_PARAMETER_MEMBERS),
  output(answer) {
    const object = answerObject(answer);
    if (!object || (object.Version !== undefined && typeof object.Version !== 'number')) return undefined;
    return {
      $metadata: { httpStatusCode: 200 },
      ...(object.Version !== undefined ? { Version: object.Version as number } : {}),
      ...(typeof object.Tier === 'string' ? { Tier: object.Tier as PutParameterCommandOutput['Tier'] } : {}),
    };
  },
});

/** String parameters in one region's Parameter Store (lamina's `/<prefix>/layers/<name>/latest` lookups). */
export class ParameterStore {
  private readonly client: Pick<SSMClient, 'send'>;

  constructor(readonly region: string, client?: SSMClient) {
    this.client =
      client ?? sharedClient('SSM', region, () => new LeanClient(new SSMClient({ ...CLIENT_SETTINGS, region }), [PUT_PARAMETER_OPERATION]));
  }

  /** The parameter's value, or undefined when there is none. */
  async get(name: string): Promise<string | undefined> {
    try {
      return (await this.client.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
    } catch (error) {
      if ((error as Error).name === 'ParameterNotFound') return undefined;
      throw error;
    }
  }

  /** Creates or overwrites a String parameter. */
  async put(name: string, value: string, description?: string): Promise<void> {
    await this.client.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true, Description: description }));
  }

  /** Deletes a parameter; one that is already gone is fine (Expire may repeat). */
  async delete(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteParameterCommand({ Name: name }));
    } catch (error) {
      if ((error as Error).name !== 'ParameterNotFound') throw error;
    }
  }
}
