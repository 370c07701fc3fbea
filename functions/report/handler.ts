import { ArtifactStore } from '../aws/artifacts';
import { exportListing } from '../listing/static-export';
import { log } from '../shared/log';
import { lambdaHandler } from '../shared/handler-runtime';
import type { ReportEvent, RunSummary } from '../shared/pipeline-events';
import { LayerStore } from '../store/layer-store';
import { report } from './report';
import { noticeDeps } from '../notices/environment';
import { afterReport } from '../notices/pipeline-notices';
import { NoticeStore } from '../store/notice-store';

export async function run(event: ReportEvent): Promise<RunSummary> {
  const store = new LayerStore();
  const artifacts = ArtifactStore.fromEnvironment();
  // Report names the regions to export (every region with layers); the export waits until the notices are in.
  let exportRegions: string[] = [];
  const summary = await report(event, { store, health: store, artifacts, log, exportListing: async (regions) => void (exportRegions = regions) });
  // What the run published and superseded, and its failures, told to people (functions/notices), before the
  // static listing is written, so that its feeds list them.
  await afterReport(event, summary, await noticeDeps());
  // The static listing: under listing/ in the artifact store, and in LAMINA_LISTING_DIR when the runner sets one.
  await exportListing(exportRegions, { store, artifacts, localDir: process.env.LAMINA_LISTING_DIR || undefined,
    notices: new NoticeStore(),
    baseUrl: process.env.LAMINA_PUBLIC_URL,
  });
  return summary;
}

export const handler = lambdaHandler(run);
