interface Pending {
  text: string;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Group commit for an append-only file: each text added resolves once it is written, in the order given, and texts
 * added while a write is under way go out together in the next write, so a burst costs a few writes rather than one
 * each, one after another. A failed write fails only the texts it carried. `afterBatch` runs between batches (the
 * journal compacts there); `startAtOnce: false` waits a microtask before the first write, so texts added in the same
 * turn of the event loop share it.
 */
export class GroupCommit {
  private pending: Pending[] = [];
  private draining: Promise<void> | undefined;

  constructor(
    private readonly write: (text: string) => Promise<void>,
    private readonly options: { afterBatch?: () => Promise<void>; startAtOnce?: boolean } = {},
  ) {}

  add(text: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ text, resolve, reject });
      this.draining ??= this.options.startAtOnce === false ? Promise.resolve().then(() => this.drain()) : this.drain();
    });
  }

  /** Settles once everything added so far is written (or has failed). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Writes what is pending now as one batch (the journal does, before a snapshot replaces it). */
  async writePending(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      await this.write(batch.map((change) => change.text).join(''));
      for (const change of batch) change.resolve();
    } catch (error) {
      for (const change of batch) change.reject(error);
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        await this.writePending();
        await this.options.afterBatch?.();
      }
    } finally {
      this.draining = undefined;
    }
  }
}
