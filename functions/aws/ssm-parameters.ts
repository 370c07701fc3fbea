import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { sharedClient } from './clients';
import { CLIENT_SETTINGS } from './endpoints';

/** String parameters in one region's Parameter Store (lamina's `/<prefix>/layers/<name>/latest` lookups). */
export class ParameterStore {
  private readonly client: SSMClient;

  constructor(readonly region: string, client?: SSMClient) {
    this.client = client ?? sharedClient('SSM', region, () => new SSMClient({ ...CLIENT_SETTINGS, region }));
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
