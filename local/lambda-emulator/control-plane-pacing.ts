import { LambdaApiError } from './errors';

/**
 * Lambda's control plane as it feels from a distance: every call takes a while (a round trip to a region on
 * another continent is 100-300 ms) and each account × region accepts about 15 requests a second, answering the
 * rest with 429 TooManyRequestsException. Off unless configured, so tests stay fast; bench:publish turns it on to
 * measure how close publishing gets to what the quota allows.
 *
 * LAMINA_EMULATOR_LATENCY_MS: `200` or `100-300` (uniform in the range), added to every layer-API call.
 * LAMINA_EMULATOR_REQUESTS_PER_SECOND: requests a region accepts per second (a token bucket of that size).
 */
export interface PacingOptions {
  latencyMs?: readonly [number, number];
  requestsPerSecond?: number;
}

export class ControlPlanePacing {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  /** Calls per region (admitted or refused), for benchmarks. */
  readonly calls = new Map<string, number>();
  readonly throttled = new Map<string, number>();

  constructor(
    readonly options: PacingOptions = {},
    private readonly now: () => number = Date.now,
  ) {}

  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): ControlPlanePacing {
    const options: { latencyMs?: [number, number]; requestsPerSecond?: number } = {};
    const latency = env.LAMINA_EMULATOR_LATENCY_MS?.trim();
    if (latency) {
      const match = /^(\d+)(?:-(\d+))?$/.exec(latency);
      if (!match || Number(match[2] ?? match[1]) < Number(match[1])) throw new Error(`LAMINA_EMULATOR_LATENCY_MS must be milliseconds, e.g. 200 or 100-300 (got ${JSON.stringify(latency)})`);
      options.latencyMs = [Number(match[1]), Number(match[2] ?? match[1])];
    }
    const rate = env.LAMINA_EMULATOR_REQUESTS_PER_SECOND?.trim();
    if (rate) {
      if (!/^\d+(\.\d+)?$/.test(rate) || Number(rate) <= 0) throw new Error(`LAMINA_EMULATOR_REQUESTS_PER_SECOND must be a positive number, e.g. 15 (got ${JSON.stringify(rate)})`);
      options.requestsPerSecond = Number(rate);
    }
    return new ControlPlanePacing(options);
  }

  /** Counts the call, refuses it with Lambda's 429 when the region is over its rate, else waits the latency. */
  async admit(region: string): Promise<void> {
    this.calls.set(region, (this.calls.get(region) ?? 0) + 1);
    const rate = this.options.requestsPerSecond;
    if (rate) {
      const now = this.now();
      const bucket = this.buckets.get(region) ?? { tokens: rate, at: now };
      bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) / 1000) * rate);
      bucket.at = now;
      this.buckets.set(region, bucket);
      if (bucket.tokens < 1) {
        this.throttled.set(region, (this.throttled.get(region) ?? 0) + 1);
        throw new LambdaApiError('TooManyRequestsException', 429, 'Rate exceeded', { 'Retry-After': '1' }, { Reason: 'CallerRateLimitExceeded' });
      }
      bucket.tokens -= 1;
    }
    const latency = this.options.latencyMs;
    if (latency) {
      const ms = latency[0] + Math.random() * (latency[1] - latency[0]);
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
  }
}
