import type { Visibility } from '../catalog/settings';
import type { ResolvedTarget } from '../layers/kind';
import type { RunOutcome } from '../../schema/table';

/** Input of a pipeline execution (the state machine's input): all optional. */
export interface RunRequest {
  /** Catalog entry names to consider; every entry when absent. */
  only?: string[];
  /** Regions to publish to, instead of the catalog's. */
  regions?: string[];
  /** Build even where the inputs did not change (publishing stays idempotent). */
  force?: boolean;
  /** Run id to use (the local runner and tests pass one; Plan makes one otherwise). */
  runId?: string;
}

/** What Publish and Report need of the catalog's settings. */
export interface RunSettings {
  prefix: string;
  visibility: Visibility;
  expiryDays: number;
}

/** One layer to build and publish, as Plan hands it to the Builds map. */
export interface PlannedBuild {
  target: ResolvedTarget;
  inputHash: string;
  /** Regions to publish to (those where the latest version does not already hold this content). */
  regions: string[];
}

export interface PlanResult {
  runId: string;
  startedAt: string;
  force: boolean;
  settings: RunSettings;
  regions: string[];
  builds: PlannedBuild[];
  /** Targets left alone, with why (unchanged content everywhere). */
  skipped: RunOutcome[];
  /** Targets Plan could not resolve (unknown package, version...): reported, the others go on. */
  failed: RunOutcome[];
}

/** Build's input: one planned build plus what every iteration of the map shares. */
export interface BuildEvent {
  runId: string;
  force: boolean;
  settings: RunSettings;
  item: PlannedBuild;
}

/** The artifact Build stored, as Publish needs it. */
export interface BuiltArtifact {
  layerName: string;
  entry: string;
  kind: string;
  runtimes: string[];
  architectures: string[];
  description: string;
  licenseInfo?: string;
  packageVersion?: string;
  sha256: string;
  codeSha256: string;
  size: number;
  unzippedSize: number;
  artifactKey: string;
}

export interface BuildResult {
  runId: string;
  settings: RunSettings;
  regions: string[];
  layer: BuiltArtifact;
  /** True when the content was already in the artifact store and nothing was rebuilt. */
  reused: boolean;
}

export interface PublishEvent {
  runId: string;
  region: string;
  settings: RunSettings;
  layer: BuiltArtifact;
}

/** What the Builds map yields per layer: its outcome per region, or the build's failure. */
export interface LayerResult {
  layerName: string;
  status: 'built' | 'failed';
  outcomes?: RunOutcome[];
  /** Step Functions' error object when the build failed: { Error, Cause }. */
  error?: { Error: string; Cause: string };
}

export interface ReportEvent {
  plan: Pick<PlanResult, 'runId' | 'startedAt' | 'regions' | 'skipped' | 'failed'>;
  results: LayerResult[];
}

export interface RunSummary {
  runId: string;
  startedAt: string;
  finishedAt: string;
  counts: Record<RunOutcome['status'], number>;
  outcomes: RunOutcome[];
  /** True when any target or region failed. */
  failed: boolean;
}
