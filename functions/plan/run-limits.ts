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
