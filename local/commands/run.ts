import * as path from 'node:path';
import { expandCatalog, loadCatalog } from '../../functions/catalog/catalog';
import { checkRequest, PlanRequestError } from '../../functions/plan/plan';
import { LAMBDA_REGIONS } from '../../functions/regions/lambda-regions';
import { LayerStore } from '../../functions/store/layer-store';
import type { RunSummary } from '../../functions/shared/pipeline-events';
import type { LatestItem } from '../../schema/table';
import { describeCounts, explainOutcome } from '../../functions/report/summary';
import { describeHealth } from '../../functions/regions/health';
import { runLocalPipeline } from '../runner';
import { startLocalServices } from '../services';
import { applyNotificationSettings } from '../aws-stand-ins';
import { EXIT, UsageError, type Command } from './command';
import { formatTable, listOption, parseOptions } from './options';

export const DEFAULT_CATALOG = 'catalog.yaml';
export const DEFAULT_STATE_DIR = '.lamina';

/** The ARN table printed after a run: every layer of the run, in every region it is published in. */
export async function latestRows(store: LayerStore, layerNames: string[], regions: string[]): Promise<LatestItem[]> {
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

export const runCommand: Command = {
  name: 'run',
  summary: 'Run the pipeline locally on the embedded default: build, publish to every region, record, list.',
  usage:
    'lamina run [--catalog catalog.yaml] [--only <layer>[,<layer>...]] [--regions <region>[,<region>...]] [--force] [--audit] [--state .lamina] [--json]',
  async run(args) {
    const { values } = parseOptions(args, {
      catalog: { type: 'string', default: DEFAULT_CATALOG },
      only: { type: 'string', multiple: true },
      regions: { type: 'string', multiple: true },
      force: { type: 'boolean', default: false },
      audit: { type: 'boolean', default: false },
      state: { type: 'string', default: DEFAULT_STATE_DIR },
      json: { type: 'boolean', default: false },
    });
    const only = listOption(values.only, 'only', 'bash');
    const regions = listOption(values.regions, 'regions', 'us-east-1,eu-west-1');
    const catalogFile = path.resolve(values.catalog!);
    // Everything a person typed is checked before any service starts: a bad request records nothing.
    const catalog = await loadCatalog(catalogFile);
    try {
      checkRequest({ only, regions }, catalog, LAMBDA_REGIONS);
      expandCatalog(catalog, only);
    } catch (error) {
      if (error instanceof PlanRequestError) throw new UsageError(error.message);
      throw error;
    }

    process.env.LAMINA_LOG_FORMAT ??= 'text';
    const services = await startLocalServices({ stateDir: path.resolve(values.state!), command: 'run' });
    try {
      for (const line of [...services.started, ...services.reused.map((line) => `${line} (configured)`)]) console.error(`· ${line}`);
      await applyNotificationSettings(services.standIns, services.env.LAMINA_TOPIC_ARN, catalog.settings.notifications);
      const { summary, outcomes } = await runLocalPipeline({ only, regions, force: values.force, audit: values.audit }, {
        stateDir: path.resolve(values.state!),
        catalogFile,
      });
      const layerNames = [...new Set(outcomes.map((outcome) => outcome.layerName))];
      const store = new LayerStore();
      const runRegions = regions ?? (catalog.settings.regions === 'all' ? [...LAMBDA_REGIONS] : catalog.settings.regions);
      const rows = await latestRows(store, layerNames, runRegions);
      const failures = outcomes.filter((outcome) => outcome.status === 'failed');
      if (values.json) {
        console.log(JSON.stringify({ summary, outcomes, layers: rows.map(({ layerName, region, arn, version, status }) => ({ layerName, region, arn, version, status })) }, null, 2));
      } else {
        const arns = new Map(rows.map((row) => [`${row.layerName} ${row.region}`, row.arn]));
        console.log(
          formatTable(
            ['LAYER', 'REGION', 'ARN', 'THIS RUN'],
            outcomes.map((outcome) => [
              outcome.layerName,
              outcome.region ?? '',
              outcome.arn ?? arns.get(`${outcome.layerName} ${outcome.region}`) ?? '-',
              explainOutcome(outcome),
            ]),
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
    } finally {
      await services.close();
    }
  },
};
