import * as path from 'node:path';
import { expandCatalog, loadCatalog } from '../../functions/catalog/catalog';
import { checkRequest, PlanRequestError } from '../../functions/plan/plan';
import { LAMBDA_REGIONS } from '../../functions/regions/lambda-regions';
import { LayerStore } from '../../functions/store/layer-store';
import type { RunSummary } from '../../functions/shared/pipeline-events';
import type { LatestItem } from '../../schema/table';
import { runLocalPipeline } from '../runner';
import { startLocalServices } from '../services';
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

function describeOutcomes(summary: RunSummary): string {
  const { counts } = summary;
  if (counts.published === 0 && counts.failed === 0) {
    return `Nothing new to publish: every layer's content is already the latest version in its regions (${counts.unchanged} unchanged).`;
  }
  return `${counts.published} published, ${counts.unchanged} unchanged, ${counts.failed} failed.`;
}

export const runCommand: Command = {
  name: 'run',
  summary: 'Run the pipeline locally on the embedded default: build, publish to every region, record, list.',
  usage:
    'lamina run [--catalog catalog.yaml] [--only <layer>[,<layer>...]] [--regions <region>[,<region>...]] [--force] [--state .lamina] [--json]',
  async run(args) {
    const { values } = parseOptions(args, {
      catalog: { type: 'string', default: DEFAULT_CATALOG },
      only: { type: 'string', multiple: true },
      regions: { type: 'string', multiple: true },
      force: { type: 'boolean', default: false },
      state: { type: 'string', default: DEFAULT_STATE_DIR },
      json: { type: 'boolean', default: false },
    });
    const only = listOption(values.only);
    const regions = listOption(values.regions);
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
    const services = await startLocalServices({ stateDir: path.resolve(values.state!) });
    try {
      for (const line of [...services.started, ...services.reused.map((line) => `${line} (configured)`)]) console.error(`· ${line}`);
      const { summary, outcomes } = await runLocalPipeline({ only, regions, force: values.force }, {
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
        const published = new Set(outcomes.filter((o) => o.status === 'published').map((o) => `${o.layerName} ${o.region}`));
        console.log(
          formatTable(
            ['LAYER', 'REGION', 'ARN', 'THIS RUN'],
            rows.map((row) => [row.layerName, row.region, row.arn, published.has(`${row.layerName} ${row.region}`) ? 'published' : 'unchanged']),
          ),
        );
        console.log('');
        console.log(describeOutcomes(summary));
        if (failures.length > 0) {
          console.log('\nFailed:');
          for (const failure of failures) console.log(`  ${failure.layerName}${failure.region ? ` ${failure.region}` : ''}: ${failure.error}`);
        }
      }
      return failures.length > 0 ? EXIT.failed : EXIT.ok;
    } finally {
      await services.close();
    }
  },
};
