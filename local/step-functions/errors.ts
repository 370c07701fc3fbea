/**
 * Step Functions errors as aws-local-stepfunctions matches them in Retry and Catch: by `name`, the Cause is the
 * message, and `isCatchable` / `isRetryable` say whether a Catch or Retry may handle it at all.
 */
export class StatesError extends Error {
  constructor(
    name: string,
    cause: string,
    readonly isCatchable = true,
    readonly isRetryable = true,
  ) {
    super(cause);
    this.name = name;
  }
}

/** Step Functions' limit on a state's input or output, and on an execution's input and output. */
export const MAX_STATE_PAYLOAD_BYTES = 262_144;

/**
 * Errors that States.ALL does not match (AWS: "States.ALL … does not catch States.DataLimitExceeded and
 * States.Runtime"); a Retrier or Catcher that names one explicitly still does.
 */
export const NOT_MATCHED_BY_WILDCARD = new Set(['States.DataLimitExceeded', 'States.Runtime']);

export interface Matcher {
  ErrorEquals: string[];
}

/** Whether a Retrier's or Catcher's ErrorEquals matches an error, as Step Functions decides it. */
export function errorMatches(matcher: Matcher, error: { name: string }, isTask: boolean): boolean {
  return matcher.ErrorEquals.some((name) => {
    if (name === error.name) return true;
    if (NOT_MATCHED_BY_WILDCARD.has(error.name)) return false;
    if (name === 'States.ALL') return true;
    return name === 'States.TaskFailed' && isTask && error.name !== 'States.Timeout';
  });
}

/** The size Step Functions counts for a payload: its JSON text in UTF-8. */
export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null));
}

/** Throws States.DataLimitExceeded when a payload is over 256 KB. */
export function checkPayload(what: string, value: unknown, observe?: (bytes: number) => void): void {
  const bytes = payloadBytes(value);
  observe?.(bytes);
  if (bytes > MAX_STATE_PAYLOAD_BYTES) {
    throw new StatesError(
      'States.DataLimitExceeded',
      `${what} is ${bytes} bytes, over Step Functions' ${MAX_STATE_PAYLOAD_BYTES}-byte limit for a state's input or output`,
      false,
      false,
    );
  }
}
