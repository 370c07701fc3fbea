import * as path from 'node:path';
import { expandCatalog, loadCatalog } from '../../functions/catalog/catalog';
import { checkRequest, PlanRequestError } from '../../functions/plan/plan';
import { LAMBDA_REGIONS } from '../../functions/regions/lambda-regions';
import { LayerStore } from '../../functions/store/layer-store';
import { runLocalPipeline } from '../runner';
import { startLocalServices } from '../services';
import { applyNotificationSettings } from '../aws-stand-ins';
import { UsageError, type Command } from './command';
import { latestRows, printRunResult } from './run-report';
import { DEFAULT_CATALOG, DEFAULT_STATE_DIR, listOption, parseOptions } from './options';

export { describeOutcomes, latestRows } from './run-report';

export const runCommand: Command = {
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
      return printRunResult(summary, outcomes, rows, values.json!);
    } finally {
      await services.close();
    }
  },
};
