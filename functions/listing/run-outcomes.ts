import type { Column } from './items';
import type { RunOutcome } from '../../schema/table';
import { explainOutcome } from '../report/summary';

/** The columns of a run's outcomes (`/v1/runs/{runId}`): one row per layer × region, as `lamina run` prints them. */
export const OUTCOME_COLUMNS: Column<RunOutcome>[] = [
  { key: 'layerName', title: 'Layer', value: (o) => o.layerName },
  { key: 'region', title: 'Region', value: (o) => o.region ?? '' },
  { key: 'status', title: 'Outcome', value: (o) => o.status },
  { key: 'version', title: 'Version', value: (o) => (o.version === undefined ? '' : String(o.version)) },
  { key: 'arn', title: 'ARN', value: (o) => o.arn ?? '' },
  { key: 'why', title: 'What and why', value: (o) => (o.status === 'published' || o.status === 'unchanged' ? (o.detail ?? '') : explainOutcome(o)) },
];

export const RUN_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
