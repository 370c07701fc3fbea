import { promises as fs } from 'node:fs';
import { GroupCommit } from './group-commit';

/**
 * A log file services append lines to (EventBridge's events, SNS's messages): each append resolves once its text is
 * written, in the order given; appends made while a write is under way go out together in the next write
 * (group-commit.ts), so a burst of requests costs a few writes rather than an open, a write and a close each.
 */
export class AppendLog {
  private readonly commits: GroupCommit;

  constructor(readonly file: string) {
    this.commits = new GroupCommit((text) => fs.appendFile(file, text));
  }

  append(text: string): Promise<void> {
    return this.commits.add(text);
  }

  /** Settles once everything appended so far is written (or has failed). */
  idle(): Promise<void> {
    return this.commits.idle();
  }
}
