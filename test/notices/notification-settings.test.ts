import { parseCatalog, CatalogError } from '../../functions/catalog/catalog';

const catalog = (notifications: string) => `
settings:
  notifications:
${notifications}
layers:
  - name: bash
    kind: bash-runtime
`;

describe('settings.notifications', () => {
  it('defaults to nobody subscribed and a reminder 7 days before a deletion', () => {
    expect(parseCatalog('layers: [{ name: bash, kind: bash-runtime }]', 'c.yaml').settings.notifications).toEqual({ emails: [], topics: [], reminderDays: 7 });
  });

  it('takes email addresses, SNS topic ARNs and the reminder lead time', () => {
    const { settings } = parseCatalog(catalog('    emails: [ops@example.com]\n    topics: [arn:aws:sns:eu-west-1:123456789012:platform-team]\n    reminderDays: 2'), 'c.yaml');
    expect(settings.notifications).toEqual({ emails: ['ops@example.com'], topics: ['arn:aws:sns:eu-west-1:123456789012:platform-team'], reminderDays: 2 });
  });

  it.each([
    ['    emails: [not-an-address]', 'settings.notifications.emails[0]', 'an email address looks like someone@example.com'],
    ['    topics: [arn:aws:sqs:eu-west-1:123456789012:queue]', 'settings.notifications.topics[0]', 'an SNS topic ARN looks like'],
    ['    topics: [arn:aws:sns:eu-west-1:12345:short-account]', 'settings.notifications.topics[0]', 'an SNS topic ARN looks like'],
    ['    reminderDays: 0', 'settings.notifications.reminderDays', ''],
    ['    email: [ops@example.com]', 'settings.notifications', 'unknown field(s) email'],
  ])('refuses %s, naming the field', (text, where, message) => {
    let error: unknown;
    try {
      parseCatalog(catalog(text), 'c.yaml');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CatalogError);
    const problem = (error as CatalogError).problems[0];
    expect(problem.where).toBe(where);
    expect(problem.message).toContain(message);
  });
});
