import { promises as fs } from 'node:fs';

interface Pending {
  text: string;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * A log file services append lines to (EventBridge's events, SNS's messages): each append resolves once its text is
 * written, in the order given. Appends made while a write is under way go out together in the next write, so a
 * burst of requests costs a few writes rather than an open, a write and a close each, one after another; a failed
 * write fails only the appends it carried.
 */
export class AppendLog {
  private pending: Pending[] = [];
  private writing: Promise<void> | undefined;

  constructor(readonly file: string) {}

  append(text: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ text, resolve, reject });
      this.writing ??= this.drain();
    });
  }

  /** Settles once everything appended so far is written (or has failed). */
  async idle(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        await fs.appendFile(this.file, batch.map((change) => change.text).join(''));
        for (const change of batch) change.resolve();
      } catch (error) {
        for (const change of batch) change.reject(error);
      }
    }
    this.writing = undefined;
  }
}
