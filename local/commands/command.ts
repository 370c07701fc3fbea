/** What `lamina --help` says of a sub-command; known without loading the command's module. */
export interface CommandInfo {
  name: string;
  summary: string;
  usage: string;
  /**
   * Node flags the command's process must start with (V8 fixes its heap's sizes when the process starts:
   * `v8.setFlagsFromString` later changes nothing), so bin/lamina.cjs starts node anew with the ones missing.
   */
  nodeFlags?: readonly string[];
}

/** What runs one `lamina` sub-command. `run` returns the process exit code; it never calls process.exit itself. */
export interface Command {
  run(args: string[]): Promise<number>;
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, failed: 1, badInput: 2 } as const;

/** An error in what the user typed or wrote: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
