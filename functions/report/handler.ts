import { ArtifactStore } from '../aws/artifacts';
import { exportListing } from '../listing/static-export';
import { log } from '../shared/log';
import { lambdaHandler } from '../shared/handler-runtime';
import type { ReportEvent, RunSummary } from '../shared/pipeline-events';
import { LayerStore } from '../store/layer-store';
import { report } from './report';

export function run(event: ReportEvent): Promise<RunSummary> {
  const store = new LayerStore();
  return report(event, {
    store,
    log,
    // The static listing: under listing/ in the artifact store, and in LAMINA_LISTING_DIR when the runner sets one.
    exportListing: async (regions) => {
      await exportListing(regions, { store, artifacts: ArtifactStore.fromEnvironment(), localDir: process.env.LAMINA_LISTING_DIR || undefined });
    },
  });
}

export const handler = lambdaHandler(run);
