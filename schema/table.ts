/**
 * lamina's single-table design. This module is the only place DynamoDB keys are formed; `schema/README.md`
 * describes the entities and access patterns in prose.
 *
 * Table: partition key `pk`, sort key `sk` (strings), on-demand.
 * GSI1 (`gsi1pk`, `gsi1sk`), sparse: the latest pointers, by layer name; and runs by start time.
 * GSI2 (`gsi2pk`, `gsi2sk`), sparse: deprecated versions by expiry date.
 */

export const TABLE_KEYS = { pk: 'pk', sk: 'sk' } as const;
export const GSI1 = { name: 'gsi1', pk: 'gsi1pk', sk: 'gsi1sk' } as const;
export const GSI2 = { name: 'gsi2', pk: 'gsi2pk', sk: 'gsi2sk' } as const;

/** Version numbers are zero-padded in sort keys so that string order is numeric order. */
const VERSION_DIGITS = 10;

export type VersionStatus = 'latest' | 'deprecated' | 'deleted';

/** Characters allowed in the parts of a key; everything user supplied is checked against this before use. */
const SAFE_PART = /^[A-Za-z0-9_.:\-]+$/;

function part(name: string, value: string): string {
  if (!SAFE_PART.test(value)) throw new Error(`invalid ${name} for a key: ${JSON.stringify(value)}`);
  return value;
}

export function padVersion(version: number): string {
  if (!Number.isInteger(version) || version < 1) throw new Error(`invalid layer version: ${version}`);
  return String(version).padStart(VERSION_DIGITS, '0');
}

/** Base attributes every item carries: its type, for readers of a mixed query. */
export interface ItemBase {
  pk: string;
  sk: string;
  type: 'layer' | 'build' | 'input' | 'version' | 'latest' | 'run' | 'outcome' | 'regions' | 'notice' | 'claim' | 'region-health' | 'region-health-policy';
}

// ---- Layer: what a layer is, independent of region. ----------------------------------------------------------
export interface LayerItem extends ItemBase {
  type: 'layer';
  layerName: string;
  entry: string;
  kind: string;
  runtimes: string[];
  architectures: string[];
  description: string;
  updatedAt: string;
}
export const layerKey = (layerName: string) => ({ pk: `LAYER#${part('layer name', layerName)}`, sk: 'META' });

// ---- Build: one zip, named by its content. -------------------------------------------------------------------
/**
 * How a layer was proven on one runtime × architecture before it was published (the Verify step): on AWS by a
 * verify function of exactly that runtime × architecture, locally by a matching interpreter, or not at all.
 */
export interface Verification {
  runtime: string;
  architecture: string;
  status: 'verified' | 'failed' | 'not verified';
  where: 'aws' | 'local';
  /** How it ran, for a person: `python3.11 (3.11.2 cpython) x86_64 on this machine`. */
  how: string;
  /** When (ISO 8601). */
  at: string;
  /** What was proven (verified). */
  summary?: string;
  /** What failed: a module, a package, the bootstrap (failed). */
  subject?: string;
  /** The error, with its traceback or the runtime's logs, cut to a few kB (failed). */
  error?: string;
  /** Why it could not be verified (not verified). */
  reason?: string;
}
export interface BuildItem extends ItemBase {
  type: 'build';
  layerName: string;
  sha256: string;
  codeSha256: string;
  size: number;
  unzippedSize: number;
  inputHash: string;
  artifactKey: string;
  description: string;
  licenseInfo?: string;
  packageVersion?: string;
  manifest?: unknown;
  sbomKey?: string;
  builtAt: string;
  /** The zip this one was made from by Verify (Python: plus bytecode), when Verify changed it. */
  builtSha256?: string;
  /** How the zip was verified, per runtime × architecture. */
  verifications?: Verification[];
}
/** Every build of a layer: `pk = :pk AND begins_with(sk, :prefix)`. */
export const buildPrefix = (layerName: string) => ({ pk: `LAYER#${part('layer name', layerName)}`, skPrefix: 'BUILD#' });
export const buildKey = (layerName: string, sha256: string) => ({
  pk: `LAYER#${part('layer name', layerName)}`,
  sk: `BUILD#${part('sha256', sha256)}`,
});

// ---- Input: which build the given inputs produced (lets Plan skip unchanged targets). -------------------------
export interface InputItem extends ItemBase {
  type: 'input';
  layerName: string;
  inputHash: string;
  sha256: string;
  recordedAt: string;
}
export const inputKey = (layerName: string, inputHash: string) => ({
  pk: `LAYER#${part('layer name', layerName)}`,
  sk: `INPUT#${part('input hash', inputHash)}`,
});

// ---- Version: one published layer version in one region. -----------------------------------------------------
export interface VersionItem extends ItemBase {
  type: 'version';
  layerName: string;
  region: string;
  version: number;
  arn: string;
  layerArn: string;
  sha256: string;
  codeSha256: string;
  entry: string;
  kind: string;
  runtimes: string[];
  architectures: string[];
  description: string;
  packageVersion?: string;
  size: number;
  publishedAt: string;
  /** How the published zip was verified, per runtime × architecture (absent on versions published before Verify). */
  verifications?: Verification[];
  status: VersionStatus;
  deprecatedAt?: string;
  expiresAt?: string;
  deletedAt?: string;
  /**
   * The visibility (canonical JSON of the catalog setting) that the version's actual policy was last made or
   * found to match; Plan sends the region to Publish when the catalog asks for another.
   */
  visibility?: string;
  /** When Publish last compared this version's content and policy with Lambda (the rotating audit's order). */
  auditedAt?: string;
  /**
   * The run whose PublishLayerVersion made this version, written right after it: a retried Publish of that run
   * reports the version `published`, not `unchanged` (and announces it). Absent on versions lamina found in Lambda.
   */
  publishedBy?: string;
  /** Present only while deprecated and not deleted: the sparse expiry index. */
  gsi2pk?: string;
  gsi2sk?: string;
}
export const versionPrefix = (layerName: string, region: string) => ({
  pk: `LAYER#${part('layer name', layerName)}`,
  skPrefix: `REGION#${part('region', region)}#V#`,
});
export const versionKey = (layerName: string, region: string, version: number) => {
  const { pk, skPrefix } = versionPrefix(layerName, region);
  return { pk, sk: `${skPrefix}${padVersion(version)}` };
};
export const EXPIRY_PARTITION = 'EXPIRING';
export const expiryIndexKey = (expiresAt: string, layerName: string, region: string, version: number) => ({
  gsi2pk: EXPIRY_PARTITION,
  gsi2sk: `${expiresAt}#${part('layer name', layerName)}#${part('region', region)}#${padVersion(version)}`,
});

// ---- Latest: the pointer to a layer's newest version in a region (a copy of that version's attributes). --------
export interface LatestItem extends Omit<VersionItem, 'type' | 'gsi2pk' | 'gsi2sk' | 'publishedBy'> {
  type: 'latest';
  /** Set once every older version of the layer in the region is deprecated (the last step of recording). */
  settled?: boolean;
  /**
   * The listing's JSON of this pointer, written with it (functions/listing/items.ts `listedJson`), so that the
   * listing API reads and sends one string per item instead of parsing, mapping and serialising its attributes.
   * The name carries the shape's version: a change of the listing's item shape renames it, and pointers without
   * the current name are read attribute by attribute until they are written again.
   */
  listingV1?: string;
  gsi1pk: string;
  gsi1sk: string;
}
export const latestPrefix = (region: string) => ({ pk: `REGION#${part('region', region)}`, skPrefix: 'LATEST#' });
export const latestKey = (region: string, layerName: string) => ({
  pk: `REGION#${part('region', region)}`,
  sk: `LATEST#${part('layer name', layerName)}`,
  gsi1pk: `LATEST#${part('layer name', layerName)}`,
  gsi1sk: `REGION#${part('region', region)}`,
});
export const latestByLayerIndex = (layerName: string) => ({ gsi1pk: `LATEST#${part('layer name', layerName)}` });

// ---- Claim: the right to publish one content to one region, held by one run at a time (see README). ----------
export interface ClaimItem extends ItemBase {
  type: 'claim';
  layerName: string;
  region: string;
  sha256: string;
  /** The run holding (or last holding) the claim. */
  owner: string;
  claimedAt: string;
  /** Epoch milliseconds until which the claim is held; 0 once released. Renewed while the owner works. */
  leaseUntil: number;
}
export const claimKey = (layerName: string, region: string, sha256: string) => ({
  pk: `LAYER#${part('layer name', layerName)}`,
  sk: `CLAIM#${part('region', region)}#${part('sha256', sha256)}`,
});

// ---- Run outcomes: the one vocabulary of what a run did to each layer in each region. ----------------------
/**
 * Every layer × region of a run ends in exactly one of these; a run's counts add up to layers × regions.
 * published: a new version was published; unchanged: Lambda, the records and the permissions already matched;
 * repaired: the content was right but something else was not (see `repairs`); failed and skipped: see `reason`.
 */
export const OUTCOME_STATUSES = ['published', 'unchanged', 'repaired', 'failed', 'skipped'] as const;
export type OutcomeStatus = (typeof OUTCOME_STATUSES)[number];
export type RunCounts = Record<OutcomeStatus, number>;
export const emptyCounts = (): RunCounts => ({ published: 0, unchanged: 0, repaired: 0, failed: 0, skipped: 0 });

/** What a `repaired` outcome fixed, each with what it means for a person. */
export const REPAIRS = {
  permissions: "the version's permissions did not match the catalog's visibility",
  record: "the table's record of the version did not match Lambda (missing, or another version)",
  latest: 'the latest pointer named another version than the newest one holding this content',
  deprecated: 'an older version was still recorded as latest and is now deprecated with an expiry date',
} as const;
export type Repair = keyof typeof REPAIRS;

/**
 * Why a layer × region failed or was skipped: a code for machines (later issues add theirs here, never a
 * parallel field), and `detail` says it for a person.
 */
export const OUTCOME_REASONS = {
  // failed
  plan: 'resolving the layer failed',
  build: 'building the layer failed',
  publish: 'publishing to the region failed',
  verify: 'the layer failed on its runtime and architecture (Verify): nothing was published',
  'artifact-mismatch': "the stored zip is not the one the build recorded (its sha256 differs)",
  'no-outcome': 'the step for this layer and region never recorded an outcome (it did not finish)',
  'child-execution': "the child execution of the build, or of this publish, failed as a whole (a step failed and the failure could not be recorded)",
  builds: 'the Builds map itself failed (its items could not be read, or Step Functions stopped it)',
  publishes: "publishing as a whole failed (the builds' results could not be turned into each region's publishes, or the Publishes map itself failed)",
  report: 'summing up the run failed',
  expire: 'deleting expired versions failed',
  // skipped
  claimed: 'another run holds the claim to publish this content in this region; it publishes it',
  'not-verified': 'the layer could not be verified on its runtime and architecture',
  'region-unhealthy': 'the region failed its health check; the next run tries again',
  'region-not-enabled': 'the region is not enabled in the publishing account',
  'region-denied': 'the region refused lamina for a permission reason and still does (tried once this run)',
  // failed, and what region health counts (functions/regions/health.ts)
  'region-service-error': "the region's Lambda failed for a service reason (5xx, throttled, timed out or unreachable) after every retry",
  'region-permission-denied': 'the region refused lamina: access denied, or the region is not enabled in the publishing account',
} as const;
export type OutcomeReason = keyof typeof OUTCOME_REASONS;

export interface RunOutcome {
  layerName: string;
  /**
   * The region. Absent on a layer-wide outcome (a failed Plan or Build, or unchanged everywhere): it stands for
   * every region of the run that has no outcome of its own for the layer.
   */
  region?: string;
  status: OutcomeStatus;
  version?: number;
  arn?: string;
  /** What a `repaired` outcome fixed. */
  repairs?: Repair[];
  /** Why it failed or was skipped. */
  reason?: OutcomeReason;
  /** For a person: the error message, or what was repaired or skipped and why. */
  detail?: string;
}

// ---- Run: one pipeline execution and its summary. -------------------------------------------------------------
/**
 * What a run's summary says, in the table (RunItem) and as Report returns it (RunSummary,
 * functions/shared/pipeline-events.ts): one set of fields for both.
 */
export interface RunRecord {
  runId: string;
  startedAt: string;
  finishedAt: string;
  /** One outcome per layer × region: the counts add up to `targets` (layers × regions of the run). */
  counts: RunCounts;
  targets: number;
  /** Every region the run covered. */
  regions?: string[];
  /** The failures, up to RUN_FAILURES_KEPT of them (every outcome is an item of its own: LayerStore.listOutcomes). */
  failures: RunOutcome[];
  /** The regions that are not healthy after the run (unhealthy or denied: functions/regions/health.ts). */
  regionHealth?: Omit<RegionHealthItem, 'pk' | 'sk' | 'type'>[];
}
export interface RunItem extends ItemBase, RunRecord {
  type: 'run';
  gsi1pk: string;
  gsi1sk: string;
}
/** How many failures a run summary item repeats; the rest are outcome items. */
export const RUN_FAILURES_KEPT = 100;

/**
 * Outcome: what happened to one layer (in one region) in one run. Written by the step that knows it, so that no
 * state of the state machine carries a list that grows with layers × regions (Step Functions' 256 KB limit).
 */
export interface OutcomeItem extends ItemBase, RunOutcome {
  type: 'outcome';
  runId: string;
}
export const outcomePrefix = (runId: string) => ({ pk: `RUN#${part('run id', runId)}`, skPrefix: 'OUTCOME#' });
export const outcomeKey = (runId: string, layerName: string, region?: string) => ({
  pk: `RUN#${part('run id', runId)}`,
  sk: `OUTCOME#${part('layer name', layerName)}#${region ? part('region', region) : '-'}`,
});
export const RUNS_PARTITION = 'RUNS';
export const runKey = (runId: string) => ({ pk: `RUN#${part('run id', runId)}`, sk: 'SUMMARY' });
export const runIndexKey = (startedAt: string, runId: string) => ({
  gsi1pk: RUNS_PARTITION,
  gsi1sk: `${startedAt}#${part('run id', runId)}`,
});

// ---- Regions: the regions lamina publishes to, as of the last run. -------------------------------------------
export interface RegionsItem extends ItemBase {
  type: 'regions';
  regions: string[];
  updatedAt: string;
}
export const regionsKey = () => ({ pk: 'CATALOG', sk: 'REGIONS' });

// ---- Notice: one notice for people (SNS, the Atom feed), newest last in its partition. -------------------------
/** All notices: `pk = NOTICES`, sorted by time; one layer's notices: GSI1 `NOTICES#<layer>`. */
export const NOTICES_PARTITION = 'NOTICES';
export interface NoticeItem extends ItemBase {
  type: 'notice';
  noticeId: string;
  noticeType: string;
  time: string;
  layerName?: string;
  title: string;
  summary: string;
  detail: Record<string, unknown>;
  gsi1pk?: string;
  gsi1sk?: string;
}
export const noticeKey = (time: string, noticeId: string) => ({
  pk: NOTICES_PARTITION,
  sk: `${part('notice time', time)}#${part('notice id', noticeId)}`,
});
export const noticeByLayerIndex = (layerName: string) => ({ gsi1pk: `NOTICES#${part('layer name', layerName)}` });
export const noticeIndexKey = (layerName: string, time: string, noticeId: string) => ({
  ...noticeByLayerIndex(layerName),
  gsi1sk: noticeKey(time, noticeId).sk,
});
// ---- Region health: what recent runs showed about each region (functions/regions/health.ts). ----------------
export interface RegionHealthItem extends ItemBase {
  type: 'region-health';
  region: string;
  /** healthy; unhealthy: service failures in `failedRuns` runs in a row; denied: a permission refusal. */
  status: 'healthy' | 'unhealthy' | 'denied';
  /** Runs in a row whose publishes there failed for a service reason. */
  failedRuns: number;
  /** When it became unhealthy or denied. */
  since?: string;
  lastError?: string;
  lastRunId?: string;
  checkedAt?: string;
}
/** The catalog's threshold as of the last Plan: Report needs it and has no catalog. */
export interface RegionHealthPolicyItem extends ItemBase {
  type: 'region-health-policy';
  unhealthyAfterRuns: number;
}
export const REGION_HEALTH_PARTITION = 'REGION_HEALTH';
export const regionHealthKey = (region: string) => ({ pk: REGION_HEALTH_PARTITION, sk: `REGION#${part('region', region)}` });
export const regionHealthPolicyKey = () => ({ pk: REGION_HEALTH_PARTITION, sk: 'POLICY' });

/**
 * The table's key schema and indexes, in CreateTable's shape: CDK's stack and the local services both create
 * the table from this, so the deployed and the embedded table are the same.
 */
export function createTableInput(tableName: string) {
  const attribute = (AttributeName: string) => ({ AttributeName, AttributeType: 'S' as const });
  const index = (gsi: { name: string; pk: string; sk: string }) => ({
    IndexName: gsi.name,
    KeySchema: [
      { AttributeName: gsi.pk, KeyType: 'HASH' as const },
      { AttributeName: gsi.sk, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  });
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [TABLE_KEYS.pk, TABLE_KEYS.sk, GSI1.pk, GSI1.sk, GSI2.pk, GSI2.sk].map(attribute),
    KeySchema: [
      { AttributeName: TABLE_KEYS.pk, KeyType: 'HASH' as const },
      { AttributeName: TABLE_KEYS.sk, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: [index(GSI1), index(GSI2)],
  };
}
