import { nextRuns } from '../../functions/catalog/schedule';

/** Time as the schedule sees it: the real clock, or one a test moves by hand. */
export interface Clock {
  now(): Date;
  /** Resolves at `when` (or at once if it has passed), or when `signal` aborts. */
  until(when: Date, signal: AbortSignal): Promise<void>;
}

/** setTimeout can wait at most 2^31-1 ms: longer waits go in steps. */
const MAX_TIMER_MS = 2_147_483_647;

export const systemClock: Clock = {
  now: () => new Date(),
  until: (when, signal) =>
    new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout;
      const step = () => {
        const left = when.getTime() - Date.now();
        if (left <= 0 || signal.aborted) return resolve();
        timer = setTimeout(step, Math.min(left, MAX_TIMER_MS));
      };
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
      step();
    }),
};

/** A clock that moves only when told: `advance` wakes every wait whose time has come. */
export class ManualClock implements Clock {
  private waits: { when: number; resolve: () => void }[] = [];
  constructor(private time: Date) {}
  now(): Date {
    return new Date(this.time);
  }
  until(when: Date, signal: AbortSignal): Promise<void> {
    if (when.getTime() <= this.time.getTime() || signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wait = { when: when.getTime(), resolve };
      this.waits.push(wait);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }
  /** Moves time forward, then lets what woke up run before returning. */
  async advance(ms: number): Promise<void> {
    this.time = new Date(this.time.getTime() + ms);
    const due = this.waits.filter((wait) => wait.when <= this.time.getTime());
    this.waits = this.waits.filter((wait) => wait.when > this.time.getTime());
    for (const wait of due) wait.resolve();
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  }
}

export interface ScheduleState {
  expression: string;
  lastRun?: string;
  nextRun?: string;
}

/**
 * The catalog's schedule on the embedded default, with EventBridge's semantics in UTC: `rate(n unit)` fires every
 * n units from when the schedule starts (as a rule does from its creation), `cron(...)` at each matching minute.
 * Each firing starts a run the way the deployed rule does (StartExecution with `{}`); a run that fails to start is
 * reported and the schedule goes on.
 */
export class LocalSchedule {
  private readonly controller = new AbortController();
  private lastRun?: Date;
  private next?: Date;
  private loop?: Promise<void>;

  constructor(
    private readonly expression: string,
    private readonly startRun: (time: Date) => Promise<void>,
    private readonly clock: Clock = systemClock,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  start(): void {
    let from = this.clock.now();
    this.loop = (async () => {
      while (!this.controller.signal.aborted) {
        const [next] = nextRuns(this.expression, from);
        if (!next) return;
        this.next = next;
        await this.clock.until(next, this.controller.signal);
        if (this.controller.signal.aborted) return;
        this.lastRun = next;
        from = next;
        await this.startRun(next).catch(this.onError);
      }
    })();
  }

  state(): ScheduleState {
    return { expression: this.expression, lastRun: this.lastRun?.toISOString(), nextRun: this.next?.toISOString() };
  }

  async stop(): Promise<void> {
    this.controller.abort();
    await this.loop;
  }
}
