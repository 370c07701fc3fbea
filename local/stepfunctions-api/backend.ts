import type { ExecutionRecord } from '../step-functions/engine';
import type { HistoryEvent } from '../step-functions/history';

/**
 * What the Step Functions API stand-in needs of an execution: the local engine's execution record (its history
 * counted as AWS counts it), read only.
 */
export type ExecutionStatus = ExecutionRecord['status'];
export type HistoryEventRecord = HistoryEvent;
export type ExecutionRecordView = Omit<ExecutionRecord, 'history' | 'mapRunArn' | 'parentExecutionArn'> & { history: { readonly events: readonly HistoryEvent[] } };

export interface ExecutionBackend {
  /** The one state machine this backend runs (lamina's pipeline). */
  stateMachineArn: string;
  /** Starts an execution of the pipeline named `name` with `input` (a parsed JSON object). */
  start(input: Record<string, unknown>, name: string): ExecutionRecordView;
  /** Stops a running execution: it ends ABORTED. */
  stop(execution: ExecutionRecordView, error?: string, cause?: string): void;
}
