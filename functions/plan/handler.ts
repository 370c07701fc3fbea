import { log } from '../shared/log';
import * as path from 'node:path';
import { loadCatalog, type Catalog } from '../catalog/catalog';
import { ArtifactStore } from '../aws/artifacts';
import { LayerApi } from '../aws/lambda-layers';
import { regionSourceFromEnvironment } from '../regions/region-source';
import { lambdaHandler, type HandlerRuntime } from '../shared/handler-runtime';
import type { PlanEvent, PlanResult, RunRequest } from '../shared/pipeline-events';
import { LayerStore } from '../store/layer-store';
import { plan } from './plan';

/**
 * The catalog deployed beside this handler (CDK copies it into the bundle), or the file LAMINA_CATALOG names.
 * Read on every run: it is small, and a local user edits it between runs.
 */
function deployedCatalog(): Promise<Catalog> {
  return loadCatalog(process.env.LAMINA_CATALOG ?? path.join(__dirname, 'catalog.yaml'));
}


/** The execution's input is the request; the run id is the execution's name unless the request names one. */
export async function run(event: PlanEvent, runtime: HandlerRuntime): Promise<PlanResult> {
  const request: RunRequest = { ...(event?.request ?? {}) };
  request.runId ??= event?.executionName;
  const regions = regionSourceFromEnvironment();
  const catalog = await deployedCatalog();
  const store = new LayerStore();
  return plan(request, {
    catalog,
    store,
    lambdaFor: (region) => new LayerApi(region),
    health: { store, suspectLambdaFor: (region) => LayerApi.singleAttempt(region), unhealthyAfterRuns: catalog.settings.unhealthyAfterRuns, log },
    artifacts: ArtifactStore.fromEnvironment(),
    lambdaRegions: () => regions.lambdaRegions(),
    enabledRegions: () => regions.enabledRegions(),
    tmpDir: runtime.tmpDir,
    cacheDir: runtime.cacheDir,
    log,
  });
}

export const handler = lambdaHandler(run);
