import { z } from 'zod';

/** An SNS topic ARN: `arn:<partition>:sns:<region>:<account>:<name>` (standard or FIFO). */
export const SNS_TOPIC_ARN = /^arn:aws(-cn|-us-gov)?:sns:[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

/** `settings.notifications`: who hears about failed runs, superseded versions and coming deletions. */
export const notificationsSchema = z
  .strictObject({
    emails: z
      .array(z.email('an email address looks like someone@example.com'))
      .max(100)
      .default([])
      .describe('Email addresses subscribed to lamina\'s SNS topic (each confirms once, from the mail AWS sends)'),
    topics: z
      .array(z.string().regex(SNS_TOPIC_ARN, 'an SNS topic ARN looks like arn:aws:sns:us-east-1:123456789012:my-topic'))
      .max(10)
      .default([])
      .describe('More SNS topics (yours) that get every notice lamina\'s own topic gets; their policy must let the pipeline publish'),
    reminderDays: z
      .number()
      .int()
      .min(1)
      .max(365)
      .default(7)
      .describe('Days before a superseded version is deleted that a reminder is sent'),
  })
  .default({ emails: [], topics: [], reminderDays: 7 });
export type Notifications = z.infer<typeof notificationsSchema>;
