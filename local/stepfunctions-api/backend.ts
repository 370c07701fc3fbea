/**
 * What the Step Functions API stand-in needs of an execution: the shape of the local engine's execution records
 * (their history events counted as AWS counts them), so the API serves whatever runs the state machine.
 */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface HistoryEventRecord {
  id: number;
  previousEventId: number;
  type: string;
  timestamp: Date;
  details?: { name?: string; resource?: string; error?: string; cause?: string; index?: number; mapRunArn?: string; executionArn?: string };
}

export interface ExecutionRecordView {
  executionArn: string;
  name: string;
  stateMachineArn: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
  history: { readonly events: readonly HistoryEventRecord[] };
  /** Settles when the execution has stopped. */
  done: Promise<unknown>;
}

export interface ExecutionBackend {
  /** The one state machine this backend runs (lamina's pipeline). */
  stateMachineArn: string;
  /** Starts an execution of the pipeline named `name` with `input` (a parsed JSON object). */
  start(input: Record<string, unknown>, name: string): ExecutionRecordView;
  /** Stops a running execution: it ends ABORTED. */
  stop(execution: ExecutionRecordView, error?: string, cause?: string): void;
}
