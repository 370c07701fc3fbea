import type { Visibility } from '../catalog/settings';
import type { BuildItem, OutcomeReason, RunRecord, Verification } from '../../schema/table';

/** Input of a pipeline execution (the state machine's input): all optional. */
export interface RunRequest {
  /** Catalog entry names to consider; every entry when absent. */
  only?: string[];
  /** Regions to publish to, instead of the catalog's. */
  regions?: string[];
  /** Build even where the inputs did not change (publishing stays idempotent). */
  force?: boolean;
  /** Read every version's content and policy from Lambda, not only the rotating share (`lamina run --audit`). */
  audit?: boolean;
  /** Run id to use (the local runner and tests pass one; Plan makes one otherwise). */
  runId?: string;
}

/** What Publish and Report need of the catalog's settings. */
export interface RunSettings {
  prefix: string;
  visibility: Visibility;
  expiryDays: number;
  /** The catalog's settings.publishUnverified (unset: locally yes with a warning, on AWS no). */
  publishUnverified?: boolean;
  /**
   * Regions that were unhealthy or denied when Plan read region health (functions/regions/health.ts) and answered
   * its read: Publish tries each layer there once, not with every retry. Only Report writes region health, at the
   * end of a run, so this is what every Publish of the run would read from the table.
   */
  suspectRegions?: string[];
}

/**
 * One layer to build and publish, as Plan hands it to the Builds map. The resolved target itself (which can be
 * large: a Python layer's whole resolved set) waits in the artifact store, so that the state stays small.
 */
export interface PlannedBuild {
  layerName: string;
  /** Artifact-store key of the resolved target (functions/layers/kind.ts ResolvedTarget), as JSON. */
  targetKey: string;
  inputHash: string;
  /** Regions to publish to (those where the latest version does not already hold this content). */
  regions: string[];
}

/** What the state machine hands Plan: the execution's input, and the execution's name (the run id by default). */
export interface PlanEvent {
  request: RunRequest;
  executionName?: string;
}

/**
 * Plan's output: the same few hundred bytes whatever the number of targets and regions. The builds wait in S3
 * (`itemsKey`, a JSON array of PlannedBuild the Builds map reads with its ItemReader); the run's regions, and the
 * regions left out, are in the run manifest (`manifestKey`, RunManifest) for Report.
 */
export interface PlanResult {
  runId: string;
  startedAt: string;
  force: boolean;
  settings: RunSettings;
  itemsKey: string;
  manifestKey: string;
  buildCount: number;
}

/** A region the run does not publish to, and why (e.g. an opt-in region the account has not enabled). */
export interface SkippedRegion {
  region: string;
  /** The outcome vocabulary's reason code (schema/table.ts OUTCOME_REASONS), e.g. region-not-enabled. */
  reason: OutcomeReason;
  detail: string;
}

/** What Plan decided about the whole run, kept in S3 beside the items: Report reads it. */
export interface RunManifest {
  runId: string;
  regions: string[];
  /** The planned builds (PlannedBuild[]), as the Builds map reads them: Report finds in them the layers that never finished. */
  itemsKey?: string;
  skippedRegions: SkippedRegion[];
  buildCount: number;
}

/** Build's input: one planned build plus what every iteration of the map shares. */
export interface BuildEvent {
  runId: string;
  force: boolean;
  settings: RunSettings;
  item: PlannedBuild;
}

/** The artifact Build stored, as Publish needs it: the build record's content fields and the layer's metadata. */
export type BuiltArtifact = Pick<
  BuildItem,
  'layerName' | 'description' | 'licenseInfo' | 'packageVersion' | 'sha256' | 'codeSha256' | 'size' | 'unzippedSize' | 'artifactKey' | 'verifications'
> & {
  entry: string;
  kind: string;
  runtimes: string[];
  architectures: string[];
};

export interface BuildResult {
  runId: string;
  settings: RunSettings;
  regions: string[];
  layer: BuiltArtifact;
  /** True when the content was already in the artifact store and nothing was rebuilt. */
  reused: boolean;
  /** The resolved target (for Verify), as Plan stored it. */
  targetKey: string;
  /**
   * What Verify proves the built zip on, one verify function each (none when reused: the stored zip was verified
   * when it was built). Seal then makes the published zip from the built one and what Verify added.
   */
  checks: VerifyCheck[];
  /** Where Build left the rest of the build record (manifest, SBOM key...) for Seal, which records it. */
  pendingKey?: string;
}

/** One runtime × architecture to verify a built layer on, and the function that does it. */
export interface VerifyCheck {
  runtime: string;
  architecture: string;
  /** The verify function of this runtime × architecture (its ARN on AWS; a local name locally). */
  functionName: string;
  /** Where the function leaves the files it added (Python bytecode), as a zip. */
  changesKey: string;
}

/** What the state machine hands each verify function. */
export interface VerifyTargetEvent {
  runId: string;
  layerName: string;
  artifactKey: string;
  targetKey: string;
  check: VerifyCheck;
}

/** A verify function's answer: how it went, and where its additions are when it made any. */
export type VerifyTargetResult = Verification & { changesKey?: string };

/** Seal's input: Build's result and the Verify map's answers. */
export interface SealEvent extends BuildResult {
  verifications: VerifyTargetResult[];
}

/**
 * A build's result, as its child execution of the Builds map ends (the Map Run's results carry it): the sealed
 * (verified) artifact, as Publish needs it, and the regions to publish it to (none when Seal refused it).
 * PlanPublishes reads these to plan each region's publishes.
 */
export interface SealResult {
  regions: string[];
  layer: BuiltArtifact;
}

/** What the state machine hands PlanPublishes: the run, and where the Builds map's results are. */
export interface PlanPublishesEvent {
  runId: string;
  builds: MapRunResult;
}

/** One region's publishes: the layers to publish there wait in S3 (`itemsKey`, a JSON array of BuiltArtifact). */
export interface RegionPublishes {
  region: string;
  itemsKey: string;
  layers: number;
}

/**
 * PlanPublishes' output: one entry per region with anything to publish (the Publishes map's items: a few dozen
 * regions at most, whatever the number of layers).
 */
export interface PublishPlan {
  regions: RegionPublishes[];
}

/** One region's publishes on the inline path: the positions of its layers in the plan's `layers`, in name order. */
export interface InlineRegionPublishes {
  region: string;
  layers: number[];
}

/**
 * PlanPublishes' output on the inline path (a plan within functions/plan/run-limits.ts's inline budgets): the
 * PublishPath Choice sends it to the InlinePublishes map instead of the Publishes Distributed Map. Each layer is in
 * the run's state once, whatever the number of regions it goes to (InlineRegionPublishes picks it by position).
 */
export interface InlinePublishPlan {
  inline: { layers: BuiltArtifact[]; regions: InlineRegionPublishes[] };
}

/** The Error of a publish whose failure could not be recorded, on either path (the Fail state's, the marker's). */
export const FAILURE_NOT_RECORDED = 'lamina.FailureNotRecorded';
/** Its Cause, as the Fail state and the inline path's marker Pass state have it (a test holds the three equal). */
export const FAILURE_NOT_RECORDED_CAUSE = "Publish failed and RecordFailure could not record it; Report names this publish in the run's summary";

/**
 * What an inline publish ends with when Publish failed and RecordFailure could not record it (the
 * InlinePublishFailureNotRecorded Pass state): an inline Map's failed iteration would stop every other, so it
 * succeeds with this marker, and Report turns it into the outcome a failed child execution gives on the
 * distributed path (Error and Cause as that path's Fail state has them).
 */
export interface UnrecordedPublish {
  Error: typeof FAILURE_NOT_RECORDED;
  Cause: string;
  layerName: string;
  region: string;
}

/** The InlinePublishes map's result: per region, per layer, the layer's name (published or recorded) or a marker. */
export type InlinePublishResults = (string | UnrecordedPublish)[][];

export interface PublishEvent {
  runId: string;
  region: string;
  settings: RunSettings;
  layer: BuiltArtifact;
}

/** A step that failed for good (after its retries), as its Catch hands it to RecordFailure. */
export interface FailureEvent {
  runId: string;
  stage: 'plan' | 'builds' | 'build' | 'verify' | 'publishes' | 'publish' | 'report' | 'expire';
  /** The layer, or for a step of the whole run (plan, builds, publishes, report, expire) the step's state name. */
  layerName: string;
  region?: string;
  /** Step Functions' error object: { Error, Cause }. */
  error: { Error: string; Cause: string };
}

/** Where a Distributed Map's ResultWriter put the Map Run's results (the output of the Builds and Publishes maps, and of each region's map). */
export interface MapRunResult {
  MapRunArn: string;
  ResultWriterDetails: { Bucket: string; Key: string };
}

export interface ReportEvent {
  runId: string;
  startedAt: string;
  /** Plan's run manifest (RunManifest); null when Plan failed. */
  manifestKey: string | null;
  /** The Builds map's results; null when the run stopped before it (Plan failed) or the map itself failed. */
  builds: MapRunResult | null;
  /**
   * The Publishes map's results (one child execution per region, each the result of its own map over the region's
   * layers), or on the inline path the InlinePublishes map's output; null when the run stopped before it or the
   * map itself failed.
   */
  publishes?: MapRunResult | InlinePublishResults | null;
}

export interface RunSummary extends RunRecord {
  /** True when any target or region failed, or a step of the run itself. */
  failed: boolean;
  /** Regions the run left out, and why (e.g. opt-in regions the account has not enabled). */
  skippedRegions?: SkippedRegion[];
  /** Set when Report itself failed: the summary is then the state machine's own, with the error. */
  failedStep?: string;
  error?: { Error: string; Cause: string };
}
