import { isAnswered } from '../aws/lean-json-request';

/**
 * Lambda's control-plane quota: about 15 requests per second per account and region, shared by every
 * control-plane call (ListLayerVersions, PublishLayerVersion, GetLayerVersionPolicy, AddLayerVersionPermission,
 * DeleteLayerVersion …). lamina stays under it by design, not by retrying after 429s: each region publishes in a
 * child execution of its own (the Publishes map runs one per region, all at once), whose Distributed Map
 * (RegionPublishes) runs at most PUBLISHES_PER_REGION Publish invocations at once over that region's layers, and
 * each paces its own calls at the quota's share (its rate and its burst). So every region works at its own quota
 * from the first publish to its last, whatever the other regions do: a slow region holds back only itself.
 */
export const CONTROL_PLANE_REQUESTS_PER_SECOND = 15;

/** The RegionPublishes map's MaxConcurrency in statemachine/pipeline.asl.json (a test holds the two equal). */
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

/**
 * How many calls one Publish invocation may send at once, its share of the region's burst: the region's bucket
 * holds a second of its rate (as the layer-API emulator models it), so PUBLISHES_PER_REGION invocations sending
 * their whole burst together still stay within it. A publish's few dependent calls then wait only for Lambda,
 * not for the pacer, while a long run of calls is held to publishRate().
 */
export function publishBurst(): number {
  return Math.max(1, Math.floor(controlPlaneRate() / PUBLISHES_PER_REGION));
}

/**
 * Paces the start of calls at `perSecond`, letting up to `burst` go at once after a pause (a token bucket of
 * `burst` tokens refilled at `perSecond`, kept as the time the next call is due: GCRA). In any span of t seconds
 * it starts at most burst + t × perSecond calls; with a burst of 1 calls start at least 1/perSecond apart, the
 * first at once.
 */
export class Pacer {
  /** When the next call would be due if calls were spaced exactly 1/perSecond apart. */
  private due = 0;

  constructor(
    readonly perSecond: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    readonly burst = 1,
  ) {}

  async wait(): Promise<void> {
    if (!(this.perSecond > 0) || !Number.isFinite(this.perSecond)) return;
    const interval = 1000 / this.perSecond;
    const now = this.now();
    const due = Math.max(now, this.due);
    const at = Math.max(now, due - (Math.max(1, Math.floor(this.burst)) - 1) * interval);
    this.due = due + interval;
    // Less than a microsecond is the rounding of the sums above, not a wait.
    if (at - now > 1e-3) await this.sleep(at - now);
  }
}

/** The part of an AWS SDK v3 client the pacer hooks into. */
interface MiddlewareCarrier {
  middlewareStack: {
    add(middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>, options: Record<string, unknown>): void;
  };
}

/** Where a command carries the pacer its requests wait for (a property of its own: see pacedClient). */
const PACER = Symbol('lamina control-plane pacer');

const withPacer = new WeakSet<object>();

/**
 * Makes `client` pace every request of a command marked with paced(), each attempt of a retry included (the
 * middleware runs inside the SDK's retry step), with that command's pacer; unmarked commands go unpaced. The
 * middleware is the client's, added once, so a client with cacheMiddleware resolves each command class's stack
 * once and still paces each invocation at its own share: the client is the process's (functions/aws/clients.ts) and
 * serves every invocation. The pacer reaches the middleware on the command itself: the SDK hands the command to
 * the stack as its arguments and every step passes on a copy of them (own properties, symbols included).
 */
export function pacedClient<C extends object>(client: C): C {
  if (withPacer.has(client)) return client;
  withPacer.add(client);
  (client as Partial<MiddlewareCarrier>).middlewareStack?.add(
    (next) => async (args) => {
      // An attempt that reads the answer a lean request got sends nothing (functions/aws/lean-json-request.ts).
      if (!isAnswered((args as { input?: object }).input)) await (args as { [PACER]?: Pacer })[PACER]?.wait();
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'laminaControlPlanePace' },
  );
  return client;
}

/** The pacer a command was marked with (paced()), for a request sent without the client's middleware. */
export const pacerOf = (command: object): Pacer | undefined => (command as { [PACER]?: Pacer })[PACER];

/** Marks the command so that a pacedClient() paces each of its requests with `pacer`. */
export function paced<C extends object>(command: C, pacer: Pacer): C {
  (command as { [PACER]?: Pacer })[PACER] = pacer;
  return command;
}
