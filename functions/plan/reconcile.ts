import type { LatestInLambda } from '../aws/lambda-layers';
import type { LatestItem } from '../../schema/table';

/**
 * Plan's per-region decisions: what Lambda really holds (ListLayers), what the table records (the latest
 * pointers) and what the catalog wants are compared for every layer × region. Lambda is the truth and the table
 * its record: wherever they differ from each other or from the catalog, the region gets work, whatever the
 * table says. Pure functions, so the decisions survive any reshaping of the state machine around them.
 */

/** What one region holds, as Plan reads it: Lambda's newest version of each layer, and the table's pointers. */
export interface RegionState {
  region: string;
  lambda: Map<string, LatestInLambda>;
  records: Map<string, LatestItem>;
}

/** Why a layer × region needs Publish (for logs and the outcome's detail). */
export type WorkReason =
  | 'forced'
  | 'new inputs'
  | 'missing in Lambda'
  | 'not recorded'
  | 'record differs from Lambda'
  | 'record incomplete'
  | 'content changed'
  | 'visibility changed'
  | 'audit';

export interface RegionDecision {
  region: string;
  /** Undefined: the region already matches; Publish need not run there. */
  work?: WorkReason;
}

export interface LayerFacts {
  layerName: string;
  /** The sha256 these inputs built before (the input record), or undefined when they never were built. */
  knownSha256?: string;
  /** The catalog's visibility, as canonical JSON (compared with the one recorded on the pointer). */
  visibility: string;
  force?: boolean;
}

/** Compares one layer in one region: the cheap checks, without the audit. */
export function decideRegion(layer: LayerFacts, state: RegionState): RegionDecision {
  const { region } = state;
  const inLambda = state.lambda.get(layer.layerName);
  const record = state.records.get(layer.layerName);
  const work = ((): WorkReason | undefined => {
    if (layer.force) return 'forced';
    if (!layer.knownSha256) return 'new inputs';
    if (!inLambda) return 'missing in Lambda';
    if (!record) return 'not recorded';
    if (record.version !== inLambda.version || record.arn !== inLambda.arn) return 'record differs from Lambda';
    if (!record.settled) return 'record incomplete';
    if (record.sha256 !== layer.knownSha256) return 'content changed';
    if (record.visibility !== layer.visibility) return 'visibility changed';
    return undefined;
  })();
  return { region, work };
}

/** How much of what looks right is audited anyway (content and policy read from Lambda) on each run. */
export interface AuditPolicy {
  /** Share of each region's agreeing layers audited per run, 0 to 1. */
  share: number;
  /** At least this many per region (all of them when there are fewer). */
  atLeast: number;
  /** Audit everything (`lamina run --audit`). */
  full?: boolean;
}

/**
 * Picks the layers to audit in one region among those that look right: the ones audited longest ago first (never
 * audited before all), so that successive runs rotate through every version.
 */
export function pickAudit(candidates: { layerName: string; auditedAt?: string }[], policy: AuditPolicy): Set<string> {
  if (policy.full) return new Set(candidates.map((candidate) => candidate.layerName));
  const count = Math.min(candidates.length, Math.max(policy.atLeast, Math.ceil(policy.share * candidates.length)));
  const ordered = [...candidates].sort(
    (a, b) => (a.auditedAt ?? '').localeCompare(b.auditedAt ?? '') || a.layerName.localeCompare(b.layerName),
  );
  return new Set(ordered.slice(0, count).map((candidate) => candidate.layerName));
}

/**
 * Every layer's decision in every region: the cheap comparison first, then the audit share of what agreed.
 * Returns, per layer, the regions that need Publish and why, and the regions that are unchanged.
 */
export function reconcile(
  layers: LayerFacts[],
  states: RegionState[],
  audit: AuditPolicy,
): Map<string, { pending: RegionDecision[]; unchanged: string[] }> {
  const result = new Map(layers.map((layer) => [layer.layerName, { pending: [] as RegionDecision[], unchanged: [] as string[] }]));
  for (const state of states) {
    const agreeing: { layerName: string; auditedAt?: string }[] = [];
    for (const layer of layers) {
      const decision = decideRegion(layer, state);
      if (decision.work) result.get(layer.layerName)!.pending.push(decision);
      else agreeing.push({ layerName: layer.layerName, auditedAt: state.records.get(layer.layerName)?.auditedAt });
    }
    const audited = pickAudit(agreeing, audit);
    for (const { layerName } of agreeing) {
      if (audited.has(layerName)) result.get(layerName)!.pending.push({ region: state.region, work: 'audit' });
      else result.get(layerName)!.unchanged.push(state.region);
    }
  }
  return result;
}
