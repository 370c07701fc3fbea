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
