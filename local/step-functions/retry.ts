import { errorMatches } from './errors';

/** A Retrier of a Task or Map state, as the Amazon States Language defines it. */
export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

/**
 * The retry decisions of one state entry: the first Retrier whose ErrorEquals matches decides; once its
 * MaxAttempts (default 3) are used up the error stands. Delays follow IntervalSeconds (default 1) × BackoffRate
 * (default 2) ^ attempt, capped at MaxDelaySeconds, with FULL jitter drawing uniformly below that.
 */
export class RetryPolicy {
  private readonly attempts: number[];

  constructor(
    private readonly retriers: Retrier[] = [],
    private readonly isTask: boolean,
    /** Fixed pause instead of the computed one (tests keep it short). */
    private readonly intervalOverrideMs?: number,
  ) {
    this.attempts = retriers.map(() => 0);
  }

  /** Milliseconds to wait before the next attempt, or undefined when the error is not to be retried. */
  next(error: { name: string; isRetryable?: boolean }): number | undefined {
    if (error.isRetryable === false) return undefined;
    const index = this.retriers.findIndex((retrier) => errorMatches(retrier, error, this.isTask));
    if (index < 0) return undefined;
    const retrier = this.retriers[index];
    const attempt = this.attempts[index];
    if (attempt >= (retrier.MaxAttempts ?? 3)) return undefined;
    this.attempts[index]++;
    if (this.intervalOverrideMs !== undefined) return this.intervalOverrideMs;
    let seconds = (retrier.IntervalSeconds ?? 1) * Math.pow(retrier.BackoffRate ?? 2, attempt);
    if (retrier.MaxDelaySeconds !== undefined) seconds = Math.min(seconds, retrier.MaxDelaySeconds);
    if (retrier.JitterStrategy === 'FULL') seconds = Math.random() * seconds;
    return seconds * 1000;
  }

  /** How many retries this state entry has made ($$.State.RetryCount). */
  get retryCount(): number {
    return this.attempts.reduce((sum, count) => sum + count, 0);
  }
}
