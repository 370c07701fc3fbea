/**
 * Execution history as Step Functions records it: one list of events per execution (a Distributed Map's child
 * executions each have their own), counted against the 25,000-event quota the way AWS counts it. The local engine
 * (./engine.ts) writes these events from its own wrappers, because aws-local-stepfunctions' event log has no Task
 * or Map events; the Step Functions API emulator's GetExecutionHistory reads them from here.
 *
 * Events per state, as the AWS developer guide's execution history shows them:
 * - execution: ExecutionStarted … ExecutionSucceeded | ExecutionFailed | ExecutionAborted (2)
 * - Lambda Task: TaskStateEntered, TaskScheduled, TaskStarted, TaskSucceeded, TaskStateExited (5); each retry adds
 *   TaskScheduled, TaskStarted and TaskFailed | TaskTimedOut (3); a caught failure ends with TaskStateExited too
 * - Pass, Choice, Wait, Succeed: XStateEntered, XStateExited (2); Fail: FailStateEntered (1)
 * - inline Map: MapStateEntered, MapStateStarted, MapStateSucceeded | MapStateFailed, MapStateExited (4), and per
 *   iteration MapIterationStarted, MapIterationSucceeded | MapIterationFailed | MapIterationAborted (2) plus the
 *   events of the iteration's own states, all in the parent's history
 * - Distributed Map: MapStateEntered, MapStateStarted, MapRunStarted, MapRunSucceeded | MapRunFailed,
 *   MapStateSucceeded | MapStateFailed, MapStateExited (6) in the parent, whatever the number of items
 */

export type HistoryEventType =
  | 'ExecutionStarted'
  | 'ExecutionSucceeded'
  | 'ExecutionFailed'
  | 'ExecutionAborted'
  | `${'Task' | 'Pass' | 'Choice' | 'Wait' | 'Succeed' | 'Fail' | 'Map' | 'Parallel'}State${'Entered' | 'Exited'}`
  | 'TaskScheduled'
  | 'TaskStarted'
  | 'TaskSucceeded'
  | 'TaskFailed'
  | 'TaskTimedOut'
  | 'MapStateStarted'
  | 'MapStateSucceeded'
  | 'MapStateFailed'
  | 'MapStateAborted'
  | 'MapIterationStarted'
  | 'MapIterationSucceeded'
  | 'MapIterationFailed'
  | 'MapIterationAborted'
  | 'MapRunStarted'
  | 'MapRunSucceeded'
  | 'MapRunFailed';

export interface HistoryEvent {
  /** 1-based, in the order the events happened, as GetExecutionHistory numbers them. */
  id: number;
  previousEventId: number;
  type: HistoryEventType;
  timestamp: Date;
  /** The state's name, the task's resource, an error and its cause, a map run's ARN: what the event is about. */
  details?: { name?: string; resource?: string; error?: string; cause?: string; index?: number; mapRunArn?: string; executionArn?: string };
}

/** Step Functions' hard quota on one Standard execution's history. */
export const MAX_HISTORY_EVENTS = 25_000;
export const HISTORY_LIMIT_ERROR = 'States.Runtime';
export const HISTORY_LIMIT_CAUSE = `The execution reached the maximum number of history events (${MAX_HISTORY_EVENTS}).`;

/** The execution reached its history quota: it fails, and nothing (no Retry, no Catch) can handle that. */
export class HistoryLimitExceeded extends Error {
  readonly isCatchable = false;
  readonly isRetryable = false;
  constructor() {
    super(HISTORY_LIMIT_CAUSE);
    this.name = HISTORY_LIMIT_ERROR;
  }
}

/** One execution's history. */
export class ExecutionHistory {
  readonly events: HistoryEvent[] = [];
  private closed = false;

  constructor(private readonly limit = MAX_HISTORY_EVENTS) {}

  get count(): number {
    return this.events.length;
  }

  /** True once the execution's last event (succeeded, failed, aborted) is in. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Appends an event. As AWS does at 24,999 events, the next one may only be ExecutionSucceeded; anything else
   * is replaced by ExecutionFailed, and HistoryLimitExceeded is thrown so that the execution stops there.
   */
  add(type: HistoryEventType, details?: HistoryEvent['details']): HistoryEvent {
    if (this.closed) throw new HistoryLimitExceeded();
    const terminal = type === 'ExecutionSucceeded' || type === 'ExecutionFailed' || type === 'ExecutionAborted';
    if (this.events.length >= this.limit - 1 && type !== 'ExecutionSucceeded') {
      this.push('ExecutionFailed', { error: HISTORY_LIMIT_ERROR, cause: HISTORY_LIMIT_CAUSE });
      this.closed = true;
      throw new HistoryLimitExceeded();
    }
    const event = this.push(type, details);
    if (terminal) this.closed = true;
    return event;
  }

  private push(type: HistoryEventType, details?: HistoryEvent['details']): HistoryEvent {
    const id = this.events.length + 1;
    const event: HistoryEvent = { id, previousEventId: id - 1, type, timestamp: new Date(), ...(details ? { details } : {}) };
    this.events.push(event);
    return event;
  }
}
