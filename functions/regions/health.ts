import { LaminaError } from '../layers/kind';
import { mapLimit } from '../shared/handler-runtime';
import type { LayerStore } from '../store/layer-store';
import type { OutcomeReason, RegionHealthItem, RunOutcome } from '../../schema/table';

/**
 * Region health. A region whose publishes failed for a service reason (5xx, throttling that outlasted every retry,
 * timeouts, unreachable) in each of the last N runs that tried it is unhealthy; one that refused lamina for a
 * permission reason (access denied, an opt-in region not enabled, credentials not valid there) is denied at once.
 * Plan probes such a region with one single-attempt call per run; while it fails, the region is skipped for every
 * layer (outcome `skipped`, reason region-unhealthy or region-denied); when it answers, Publish tries it once per
 * layer (no retries), and every layer that is missing there is published again because Plan plans by what each
 * region holds. Report records what each run showed.
 */

export type RegionStatus = RegionHealthItem['status'];
export type RegionHealth = Omit<RegionHealthItem, 'pk' | 'sk' | 'type'>;

/** Error names Lambda (and the SDK) give a failure of the service rather than of the request. */
const SERVICE_ERRORS = new Set([
  'ServiceException',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServerError',
  'TooManyRequestsException',
  'ThrottlingException',
  'EC2ThrottledException',
  'States.Timeout',
  'TimeoutError',
  'RequestTimeout',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'RegionUnhealthyError',
]);

/**
 * Error names of a refusal for who lamina is, not what it asked: access denied by IAM, or a region the account has
 * not enabled (Lambda answers UnrecognizedClientException / InvalidClientTokenId there: the credentials do not
 * exist in that region).
 */
const PERMISSION_ERRORS = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'OptInRequired',
  'AuthFailure',
  'UnauthorizedOperation',
  'ExpiredTokenException',
]);

export type FailureKind = 'service' | 'permission' | 'other';

/** Whether an error (by its AWS error name, as Step Functions reports it in `Error`) is the service's or a refusal. */
export function failureKindOf(errorName: string | undefined): FailureKind {
  if (!errorName) return 'other';
  if (PERMISSION_ERRORS.has(errorName)) return 'permission';
  if (SERVICE_ERRORS.has(errorName) || /^5\d\d$/.test(errorName)) return 'service';
  return 'other';
}

/** The outcome reason for a publish that failed for good: the region's health needs to tell these apart. */
export function publishFailureReason(errorName: string | undefined): RunOutcome['reason'] {
  const kind = failureKindOf(errorName);
  return kind === 'service' ? 'region-service-error' : kind === 'permission' ? 'region-permission-denied' : 'publish';
}

/** A region's default health: nothing known against it. */
export const healthyRegion = (region: string): RegionHealth => ({ region, status: 'healthy', failedRuns: 0 });

/** Whether Plan should probe the region before giving it work, and Publish try it only once. */
export const isHeld = (health: RegionHealth | undefined): boolean => health !== undefined && health.status !== 'healthy';

/** What one run showed about one region. */
export type RegionEvidence = { kind: 'answered' } | { kind: 'service' | 'permission'; detail: string } | { kind: 'none' };

/**
 * What a run's outcomes in a region say about it: a published or repaired version means it answered; a failure for
 * a service or permission reason (or a skip because the probe failed) counts against it, unless something in the
 * same run was published there. Unchanged outcomes say nothing: Plan may decide them from the table alone.
 */
export function evidenceOf(outcomes: readonly RunOutcome[]): RegionEvidence {
  let against: RegionEvidence = { kind: 'none' };
  for (const outcome of outcomes) {
    if (outcome.status === 'published' || outcome.status === 'repaired') return { kind: 'answered' };
    const detail = outcome.detail ?? outcome.reason ?? outcome.status;
    if (outcome.reason === 'region-permission-denied' || outcome.reason === 'region-denied') against = { kind: 'permission', detail };
    else if (against.kind !== 'permission' && (outcome.reason === 'region-service-error' || outcome.reason === 'region-unhealthy')) {
      against = { kind: 'service', detail };
    }
  }
  return against;
}

/** The region's health after a run, from its health before and what the run showed. */
export function nextHealth(
  previous: RegionHealth,
  evidence: RegionEvidence,
  context: { runId: string; now: Date; unhealthyAfterRuns: number },
): RegionHealth {
  const at = context.now.toISOString();
  if (evidence.kind === 'none') return previous;
  if (evidence.kind === 'answered') {
    return { region: previous.region, status: 'healthy', failedRuns: 0, lastRunId: context.runId, checkedAt: at };
  }
  if (evidence.kind === 'permission') {
    return {
      region: previous.region,
      status: 'denied',
      failedRuns: previous.failedRuns,
      since: previous.status === 'denied' ? previous.since : at,
      lastError: evidence.detail,
      lastRunId: context.runId,
      checkedAt: at,
    };
  }
  const failedRuns = previous.failedRuns + 1;
  const status: RegionStatus = failedRuns >= context.unhealthyAfterRuns ? 'unhealthy' : 'healthy';
  return {
    region: previous.region,
    status,
    failedRuns,
    since: status === 'unhealthy' ? (previous.status === 'unhealthy' ? previous.since : at) : undefined,
    lastError: evidence.detail,
    lastRunId: context.runId,
    checkedAt: at,
  };
}

/** One line for a person about a region that is not healthy. */
export function describeHealth(health: RegionHealth): string {
  if (health.status === 'denied') {
    return `${health.region}: denied (a permission reason: enable the region in the account, or grant lamina its permissions there; each run tries it once): ${health.lastError ?? ''}`;
  }
  if (health.status === 'unhealthy') {
    return `${health.region}: unhealthy (publishes failed for a service reason in ${health.failedRuns} runs in a row; each run tries it once, and backfills it when it answers): ${health.lastError ?? ''}`;
  }
  return `${health.region}: healthy`;
}

/** A publish in an unhealthy region failed again: named so that the state machine does not retry it. */
export class RegionUnhealthyError extends LaminaError {
  constructor(region: string, cause: unknown) {
    super(
      `${region} is unhealthy and was tried once: ${(cause as Error)?.name ?? 'Error'}: ${(cause as Error)?.message ?? cause}`,
      'RegionUnhealthyError',
    );
  }
}

/** Why Plan holds a region back this run, as the outcome of every layer there. */
export interface HeldRegion {
  status: 'skipped' | 'failed';
  reason: Extract<OutcomeReason, 'region-unhealthy' | 'region-denied' | 'region-service-error' | 'region-permission-denied' | 'plan'>;
  detail: string;
}

export interface RegionGateDeps {
  store: Pick<LayerStore, 'listRegionHealth' | 'putRegionHealthPolicy'>;
  unhealthyAfterRuns: number;
  log?: (message: string) => void;
}

/**
 * Plan's part: reads what each region holds (`read`, ListLayers), a region under suspicion (unhealthy or denied)
 * with one single attempt (`suspect` true). A region whose read fails is held back for every layer this run: a
 * suspect one `skipped` (region-unhealthy, region-denied), any other `failed` with the reason region health counts;
 * the other regions go on, and the suspects among them are returned (`suspects`: Publish tries each layer there once). Records the catalog's threshold for Report, which has no catalog.
 */
export async function readRegionsGuarded<T>(
  regions: readonly string[],
  read: (region: string, suspect: boolean) => Promise<T>,
  deps: RegionGateDeps,
): Promise<{ states: T[]; held: Map<string, HeldRegion>; suspects: string[] }> {
  const { regions: recorded } = await deps.store.listRegionHealth();
  await deps.store.putRegionHealthPolicy(deps.unhealthyAfterRuns);
  const suspects = new Map(recorded.filter((health) => isHeld(health)).map((health) => [health.region, health]));
  const held = new Map<string, HeldRegion>();
  const states: T[] = [];
  // Every region at once: each has its own control-plane quota (see plan.ts).
  await mapLimit([...regions], Math.max(1, regions.length), async (region) => {
    const suspect = suspects.get(region);
    try {
      states.push(await read(region, suspect !== undefined));
      if (suspect) deps.log?.(`${region} was ${suspect.status} and answers again: publishing there, each layer tried once`);
    } catch (error) {
      const kind = failureKindOf((error as Error).name);
      const what = `${(error as Error).name}: ${(error as Error).message}`;
      if (suspect) {
        const reason = kind === 'permission' || (kind === 'other' && suspect.status === 'denied') ? 'region-denied' : 'region-unhealthy';
        held.set(region, { status: 'skipped', reason, detail: `${describeHealth(suspect)}; this run's one try: ${what}` });
      } else {
        const reason = kind === 'service' ? 'region-service-error' : kind === 'permission' ? 'region-permission-denied' : 'plan';
        held.set(region, { status: 'failed', reason, detail: `reading what ${region} holds (ListLayers) failed: ${what}` });
      }
      deps.log?.(`${region} held back this run: ${held.get(region)!.detail}`);
    }
  });
  // The suspects that answered: Publish tries each layer there once (a region that did not is held back already).
  return { states, held, suspects: regions.filter((region) => suspects.has(region) && !held.has(region)) };
}

/**
 * Report's part: the health of each region of the run after it, from what its outcomes showed; returns the regions
 * that are not healthy, for the summary.
 */
export async function recordRegionHealth(
  runId: string,
  regions: readonly string[],
  outcomes: readonly RunOutcome[],
  deps: { store: Pick<LayerStore, 'listRegionHealth' | 'putRegionHealth'>; now?: () => Date },
): Promise<RegionHealth[]> {
  const { regions: recorded, unhealthyAfterRuns } = await deps.store.listRegionHealth();
  const before = new Map(recorded.map((health) => [health.region, health]));
  const now = deps.now?.() ?? new Date();
  const after: RegionHealth[] = [];
  for (const region of regions) {
    const previous = before.get(region) ?? healthyRegion(region);
    const next = nextHealth(previous, evidenceOf(outcomes.filter((outcome) => outcome.region === region)), {
      runId,
      now,
      unhealthyAfterRuns: unhealthyAfterRuns ?? DEFAULT_UNHEALTHY_AFTER_RUNS,
    });
    if (next !== previous) await deps.store.putRegionHealth(next);
    after.push(next);
  }
  // Regions outside this run keep what earlier runs found.
  for (const health of recorded) if (!regions.includes(health.region)) after.push(health);
  return after.filter((health) => health.status !== 'healthy').sort((a, b) => a.region.localeCompare(b.region));
}

export const DEFAULT_UNHEALTHY_AFTER_RUNS = 3;
