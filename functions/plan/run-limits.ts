import { LAMBDA_REGIONS } from '../regions/lambda-regions';

/**
 * The size of run the orchestration is built for: 10,000 targets (layer × runtime × architecture) × every region
 * where Lambda runs. Nothing in the state machine grows with the catalog (Plan's output, every state and every
 * execution's history stay the same size; each build is a child execution of the Builds map), but two steps
 * see the whole run at once and must finish within their Lambda timeout: Plan resolves every target and reads
 * each region's layers, and Report sums one outcome per target × region. The catalog's own bound
 * (functions/catalog MAX_CATALOG_TARGETS, refused when Plan loads the catalog) must not exceed this.
 */
export const MAX_RUN_TARGETS = 10_000;
export const MAX_RUN_PUBLISHES = MAX_RUN_TARGETS * LAMBDA_REGIONS.length;

/**
 * The Builds map's MaxConcurrency in statemachine/pipeline.asl.json (a test holds the two equal): how many builds
 * run at once. Builds no longer wait for publishing, so this bounds only the build phase. On AWS each build is one
 * Build invocation and up to 4 verify invocations at once (the Verify map's MaxConcurrency), so 16 builds hold at
 * most 80 of the account's default 1,000 concurrent Lambda executions, beside the 4 × regions (136 for 34) Publish
 * invocations of a run publishing at the same time (an overlapping run's). Locally every handler runs in the
 * runner's one process: 16 builds at once share its CPU and memory (a Python build holds its downloads' buffers
 * while it streams them into the zip), which keeps a large local catalog's peak memory bounded; the demo's 4
 * layers run all at once either way.
 */
export const BUILDS_AT_ONCE = 16;

/**
 * Publishing runs inline (one inline Map over the regions, each an inline Map over its layers, all in the run's
 * own execution) when the whole publish plan fits these budgets, and as Distributed Maps otherwise
 * (functions/plan-publishes decides; statemachine/pipeline.asl.json's PublishPath chooses). Inline, no S3 item file,
 * Map Run or child execution is made, which on AWS saves seconds per Map Run start and locally about 100 S3
 * requests for one layer in 34 regions; but every publish's events go into the run's own history (25,000 events at
 * most, nothing may catch the overflow) and the layers and results travel in its state (256 KiB at most).
 *
 * History, counted as AWS counts it (local/step-functions/history.ts): a publish at its worst is its iteration (2
 * events), Publish failing all 7 attempts (2 + 7 × 3), RecordPublishFailure failing all 4 (2 + 4 × 3) and the Pass
 * that marks it unrecorded (2): 41 events. Each region adds its iteration and its Map (6); the Choice and the
 * regions' Map 6 more. Publishing may take half the history: the other half stays for the steps around it (about
 * 120 events at their worst) and Expire's loop (16 events a page at its worst).
 */
export const INLINE_PUBLISH_WORST_EVENTS = 41;
export const INLINE_REGION_EVENTS = 6;
export const INLINE_PUBLISHING_EVENTS = 6;
export const INLINE_HISTORY_SHARE = 12_500;
/** The most publishes that run inline: 299 with every region of LAMBDA_REGIONS. */
export const MAX_INLINE_PUBLISHES = Math.floor(
  (INLINE_HISTORY_SHARE - INLINE_PUBLISHING_EVENTS - INLINE_REGION_EVENTS * LAMBDA_REGIONS.length) / INLINE_PUBLISH_WORST_EVENTS,
);
/**
 * Bytes of the run's state the inline plan and the inline Map's results (each publish's worst: the marker of an
 * unrecorded failure) may take together: half of a state's 256 KiB, the rest for what the state carries besides
 * (the run's settings, the Builds map's result: a few KiB).
 */
export const INLINE_PAYLOAD_BYTES = 128 * 1024;
