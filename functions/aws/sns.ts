import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { sharedClient } from './clients';
import { CLIENT_SETTINGS } from './endpoints';

/** The process's SNS client for `region` (the environment's region when none): functions/aws/clients.ts. */
const snsClient = (region?: string) => sharedClient('SNS', region ?? '', () => new SNSClient({ ...CLIENT_SETTINGS, ...(region ? { region } : {}) }));

/** Messages to SNS topics (the notices for people: email subscribers and the catalog's own topics). */
export class Topics {
  constructor(private readonly client = snsClient()) {}

  async publish(topicArn: string, subject: string, message: string): Promise<void> {
    // A topic ARN names its region: the message goes there, whatever the client's default region.
    const region = topicArn.split(':')[3];
    const client = region && region !== (await this.client.config.region()) ? snsClient(region) : this.client;
    await client.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }));
  }
}
