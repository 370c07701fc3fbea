import { OUTCOME_REASONS, emptyCounts, type RunCounts, type RunOutcome } from '../../schema/table';

/**
 * A run's outcomes, exactly one per layer × region: a region's own outcome wins; a layer-wide one (a failed Plan
 * or Build, unchanged everywhere) stands for the layer's other regions; a region with neither was never finished
 * by any step and counts as failed, so that the totals always add up to layers × regions.
 */
export function outcomesPerRegion(outcomes: RunOutcome[], regions: readonly string[]): RunOutcome[] {
  type Recorded = { wide?: RunOutcome; own: Map<string, RunOutcome> };
  const byLayer = new Map<string, Recorded>();
  for (const outcome of outcomes) {
    const entry: Recorded = byLayer.get(outcome.layerName) ?? { own: new Map() };
    byLayer.set(outcome.layerName, entry);
    if (outcome.region) entry.own.set(outcome.region, outcome);
    else entry.wide = outcome;
  }
  const result: RunOutcome[] = [];
  for (const layerName of [...byLayer.keys()].sort()) {
    const { wide, own } = byLayer.get(layerName)!;
    // A region outside the run's list (recorded by an earlier attempt with other regions) is still reported.
    const covered = [...new Set([...regions, ...own.keys()])].sort();
    for (const region of covered) {
      const outcome = own.get(region) ?? (wide ? { ...wide, region } : undefined);
      result.push(
        outcome ?? { layerName, region, status: 'failed', reason: 'no-outcome', detail: OUTCOME_REASONS['no-outcome'] },
      );
    }
  }
  return result;
}

export function countOutcomes(outcomes: readonly RunOutcome[]): RunCounts {
  const counts = emptyCounts();
  for (const outcome of outcomes) counts[outcome.status]++;
  return counts;
}

/** One line for a person: every status with its count, in the vocabulary's order, and the total. */
export function describeCounts(counts: RunCounts): string {
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  return `${(Object.keys(counts) as (keyof RunCounts)[]).map((status) => `${counts[status]} ${status}`).join(', ')} (of ${total} layer × region)`;
}

/** Why an outcome is what it is, for a person: the repairs, or the reason and its detail. */
export function explainOutcome(outcome: RunOutcome): string {
  if (outcome.status === 'repaired') return `repaired ${outcome.repairs?.join(', ') ?? ''}${outcome.detail ? `: ${outcome.detail}` : ''}`;
  if (outcome.status === 'failed' || outcome.status === 'skipped') {
    return [outcome.reason, outcome.detail].filter(Boolean).join(': ') || outcome.status;
  }
  return outcome.status;
}
