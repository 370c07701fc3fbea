/**
 * Lambda's control-plane quota: about 15 requests per second per account and region, shared by every
 * control-plane call (ListLayerVersions, PublishLayerVersion, GetLayerVersionPolicy, AddLayerVersionPermission,
 * DeleteLayerVersion …). lamina stays under it by design, not by retrying after 429s: at most
 * PUBLISHES_PER_REGION Publish invocations work on one region at once (the Builds map's MaxConcurrency: each of
 * its child executions publishes once per region), and each paces its own calls at the quota's share.
 */
export const CONTROL_PLANE_REQUESTS_PER_SECOND = 15;

/** The Builds map's MaxConcurrency in statemachine/pipeline.asl.json (a test holds the two equal). */
export const PUBLISHES_PER_REGION = 4;

/** The quota per region, or LAMINA_CONTROL_PLANE_RATE (requests per second; tests of thousands of publishes raise it). */
export function controlPlaneRate(): number {
  const configured = Number(process.env.LAMINA_CONTROL_PLANE_RATE);
  return configured > 0 ? configured : CONTROL_PLANE_REQUESTS_PER_SECOND;
}

/** One Publish invocation's share of its region's quota. */
export function publishRate(): number {
  return controlPlaneRate() / PUBLISHES_PER_REGION;
}

/** Spaces the start of calls at least 1/rate seconds apart (the first goes at once). */
export class Pacer {
  private next = 0;

  constructor(
    readonly perSecond: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  async wait(): Promise<void> {
    if (!(this.perSecond > 0) || !Number.isFinite(this.perSecond)) return;
    const now = this.now();
    const at = Math.max(now, this.next);
    this.next = at + 1000 / this.perSecond;
    if (at > now) await this.sleep(at - now);
  }
}

/** The part of an AWS SDK v3 command the pacer hooks into. */
interface MiddlewareCarrier {
  middlewareStack: {
    add(middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>, options: Record<string, unknown>): void;
  };
}

/**
 * Paces every request the command sends, each attempt of a retry included (the middleware runs inside the SDK's
 * retry step), with `pacer`. On the command, not the client: the client is the process's (functions/aws/clients.ts)
 * and serves every invocation, while each invocation paces itself at its own share.
 */
export function paced<C extends object>(command: C, pacer: Pacer): C {
  (command as Partial<MiddlewareCarrier>).middlewareStack?.add(
    (next) => async (args) => {
      await pacer.wait();
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'laminaControlPlanePace' },
  );
  return command;
}
