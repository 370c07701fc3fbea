import type { HistoryEventRecord } from './backend';

/**
 * GetExecutionHistory's event shapes: each event type carries its details under its own member
 * (`executionStartedEventDetails`, `stateEnteredEventDetails`, `taskFailedEventDetails`...), as the Step Functions
 * API reference lists them.
 */
const json = (value: unknown) => (value === undefined ? undefined : JSON.stringify(value));

export function historyEventShape(event: HistoryEventRecord, execution: { input: unknown; output?: unknown; error?: string; cause?: string }, includeData: boolean, roleArn: string): Record<string, unknown> {
  const base = { timestamp: event.timestamp.getTime() / 1000, type: event.type, id: event.id, previousEventId: event.previousEventId };
  const d = event.details ?? {};
  const data = (value: unknown) => (includeData ? json(value) : undefined);
  const details = (member: string, value: Record<string, unknown>) => ({ ...base, [member]: Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) });
  const type = event.type;
  if (type === 'ExecutionStarted') return details('executionStartedEventDetails', { input: data(execution.input), inputDetails: { truncated: false }, roleArn });
  if (type === 'ExecutionSucceeded') return details('executionSucceededEventDetails', { output: data(execution.output), outputDetails: { truncated: false } });
  if (type === 'ExecutionFailed') return details('executionFailedEventDetails', { error: d.error, cause: d.cause });
  if (type === 'ExecutionAborted') return details('executionAbortedEventDetails', { error: d.error ?? execution.error, cause: d.cause ?? execution.cause });
  if (type.endsWith('StateEntered')) return details('stateEnteredEventDetails', { name: d.name });
  if (type.endsWith('StateExited')) return details('stateExitedEventDetails', { name: d.name });
  const resource = { resourceType: 'lambda', resource: d.resource ?? 'invoke' };
  if (type === 'TaskScheduled') return details('taskScheduledEventDetails', { ...resource, region: d.resource?.split(':')[3] ?? 'us-east-1', parameters: '{}' });
  if (type === 'TaskStarted') return details('taskStartedEventDetails', resource);
  if (type === 'TaskSucceeded') return details('taskSucceededEventDetails', resource);
  if (type === 'TaskFailed') return details('taskFailedEventDetails', { ...resource, error: d.error, cause: d.cause });
  if (type === 'TaskTimedOut') return details('taskTimedOutEventDetails', { ...resource, error: d.error, cause: d.cause });
  if (type === 'MapStateStarted') return details('mapStateStartedEventDetails', { length: d.index });
  if (type.startsWith('MapIteration')) {
    const member = `mapIteration${type.slice('MapIteration'.length)}EventDetails`;
    return details(member.charAt(0).toLowerCase() + member.slice(1), { name: d.name, index: d.index });
  }
  if (type === 'MapRunStarted') return details('mapRunStartedEventDetails', { mapRunArn: d.mapRunArn });
  if (type === 'MapRunFailed') return details('mapRunFailedEventDetails', { error: d.error, cause: d.cause });
  return base;
}
