import type { RunSummary } from '../../functions/shared/pipeline-events';
import { describeCounts, explainOutcome } from '../../functions/report/summary';
import { describeHealth } from '../../functions/regions/health';
import type { LayerStore } from '../../functions/store/layer-store';
import type { LatestItem, RunOutcome } from '../../schema/table';
import { EXIT } from './command';
import { formatTable } from './options';

/** The ARN table printed after a run: every layer of the run, in every region it is published in. */
export async function latestRows(store: Pick<LayerStore, 'listLatestForLayer'>, layerNames: string[], regions: string[]): Promise<LatestItem[]> {
  const rows: LatestItem[] = [];
  for (const layerName of layerNames) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await store.listLatestForLayer(layerName, { startKey });
      rows.push(...page.items.filter((item) => regions.includes(item.region)));
      startKey = page.lastKey;
    } while (startKey);
  }
  return rows.sort((a, b) => a.layerName.localeCompare(b.layerName) || a.region.localeCompare(b.region));
}

/** The run's totals for a person; every layer × region is counted once, so they add up. */
export function describeOutcomes(summary: RunSummary): string {
  const { counts } = summary;
  if (counts.unchanged === summary.targets) {
    return `Nothing to change: every layer × region already matches the catalog in Lambda and in the records (${counts.unchanged} unchanged).`;
  }
  return `${describeCounts(counts)}.`;
}

/**
 * What `lamina run` and `lamina start --wait` print at the end of a run (the ARN table, the totals, the failures;
 * or JSON), and the exit code: 1 when anything failed.
 */
export function printRunResult(summary: RunSummary, outcomes: RunOutcome[], rows: LatestItem[], json: boolean): number {
  const failures = outcomes.filter((outcome) => outcome.status === 'failed');
  if (json) {
    console.log(JSON.stringify({ summary, outcomes, layers: rows.map(({ layerName, region, arn, version, status }) => ({ layerName, region, arn, version, status })) }, null, 2));
  } else {
    const arns = new Map(rows.map((row) => [`${row.layerName} ${row.region}`, row.arn]));
    console.log(
      formatTable(
        ['LAYER', 'REGION', 'ARN', 'THIS RUN'],
        outcomes.map((outcome) => [outcome.layerName, outcome.region ?? '', outcome.arn ?? arns.get(`${outcome.layerName} ${outcome.region}`) ?? '-', explainOutcome(outcome)]),
      ),
    );
    console.log('');
    console.log(describeOutcomes(summary));
    for (const skip of summary.skippedRegions ?? []) console.log(`Left out ${skip.region}: ${skip.detail}`);
    if (failures.length > 0) {
      console.log('\nFailed:');
      for (const failure of failures) console.log(`  ${failure.layerName}${failure.region ? ` ${failure.region}` : ''}: ${explainOutcome(failure)}`);
    }
    if (summary.regionHealth?.length) console.log(`\nRegions not healthy:\n${summary.regionHealth.map((health) => `  ${describeHealth(health)}`).join('\n')}`);
  }
  return failures.length > 0 ? EXIT.failed : EXIT.ok;
}
