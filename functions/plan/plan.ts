import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { expandCatalog, type Catalog } from '../catalog/catalog';
import { visibilityKey } from '../catalog/settings';
import { LaminaError, type KindContext, type ResolvedTarget } from '../layers/kind';
import { kindNamed } from '../layers/kinds';
import { readRegionsGuarded, type HeldRegion, type RegionGateDeps } from '../regions/health';
import { isKnownLambdaRegion } from '../regions/lambda-regions';
import { splitEnabled } from '../regions/region-source';
import { canonicalJson, sha256Hex } from '../shared/canonical-json';
import { mapLimit, reasonOf } from '../shared/handler-runtime';
import type { PlanResult, PlannedBuild, RunManifest, RunRequest } from '../shared/pipeline-events';
import type { ArtifactStore } from '../aws/artifacts';
import type { LayerApi } from '../aws/lambda-layers';
import { afterWrite } from '../shared/crash-points';
import type { LatestItem } from '../../schema/table';
import { reconcile, type LayerFacts, type RegionState } from './reconcile';
import type { LayerStore } from '../store/layer-store';

/** Bump when a change to lamina's packaging changes the bytes of layers whose inputs did not change. */
export const PACKAGING_VERSION = 1;

export interface PlanDeps {
  catalog: Catalog;
  store: Pick<LayerStore, 'getInput' | 'listLatestInRegion' | 'putOutcome'>;
  /** Lambda in each region: ListLayers tells what it really holds. */
  lambdaFor: (region: string) => Pick<LayerApi, 'latestVersions'>;
  /** Region health (functions/regions/health.ts): a region under suspicion is read once, one that fails is held back. */
  health?: RegionGateDeps & { suspectLambdaFor: (region: string) => Pick<LayerApi, 'latestVersions'> };
  /** Where each resolved target waits for its Build (see PlannedBuild). */
  artifacts: Pick<ArtifactStore, 'putText'>;
  /** Every region where Lambda runs (SSM when deployed, the built-in list locally). */
  lambdaRegions: () => Promise<string[]>;
  /** The regions the account has enabled (account:ListRegions when deployed); undefined or absent: all. */
  enabledRegions?: () => Promise<ReadonlySet<string> | undefined>;
  tmpDir: string;
  cacheDir?: string;
  log?: (message: string) => void;
  now?: () => Date;
}

/** Artifact-store key of a run's resolved target. */
export function targetKeyOf(runId: string, layerName: string): string {
  return `runs/${runId}/targets/${layerName}.json`;
}

/** Artifact-store key of a run's planned builds: the JSON array the Builds map's ItemReader reads. */
export function itemsKeyOf(runId: string): string {
  return `runs/${runId}/builds.json`;
}

/** Artifact-store key of a run's manifest (RunManifest). */
export function manifestKeyOf(runId: string): string {
  return `runs/${runId}/plan.json`;
}

/** A request that names things the catalog or AWS does not have. */
export class PlanRequestError extends LaminaError {
  constructor(message: string) {
    super(message, 'PlanRequestError');
  }
}

/**
 * The hash of everything that determines a layer's content and metadata. Who may use it is not part of it: Plan
 * compares visibility with what each version's policy was made to be (reconcile.ts), so a change back and forth
 * reaches every version.
 */
export function inputHashOf(target: ResolvedTarget): string {
  return sha256Hex(
    canonicalJson({
      packaging: PACKAGING_VERSION,
      kind: target.kind,
      layerName: target.layerName,
      runtimes: target.runtimes,
      architectures: target.architectures,
      description: target.description,
      inputs: target.inputs,
    }),
  );
}

/** What one region holds: Lambda's newest version of each of the catalog's layers, and the table's pointers. */
export async function readRegionState(region: string, prefix: string, deps: Pick<PlanDeps, 'store' | 'lambdaFor'>): Promise<RegionState> {
  const [lambda, records] = await Promise.all([
    deps.lambdaFor(region).latestVersions(`${prefix}-`),
    (async () => {
      const records = new Map<string, LatestItem>();
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await deps.store.listLatestInRegion(region, { startKey });
        for (const item of page.items) records.set(item.layerName, item);
        startKey = page.lastKey;
      } while (startKey);
      return records;
    })(),
  ]);
  return { region, lambda, records };
}

/**
 * Checks a run request against the catalog and the regions where Lambda runs, and returns the regions to publish
 * to. Throws PlanRequestError naming what is unknown and what exists.
 */
export function checkRequest(request: RunRequest, catalog: Catalog, lambdaRegions: readonly string[]): string[] {
  if (request.only && request.only.length > 0) {
    const names = catalog.layers.map((entry) => entry.name);
    const unknown = request.only.filter((name) => !names.includes(name));
    if (unknown.length > 0) {
      throw new PlanRequestError(`${catalog.file} has no layer named ${unknown.join(', ')}; its layers are: ${names.join(', ')}`);
    }
  }
  const wanted = request.regions ?? (catalog.settings.regions === 'all' ? lambdaRegions : catalog.settings.regions);
  const unknown = wanted.filter((region) => !isKnownLambdaRegion(region, lambdaRegions));
  if (unknown.length > 0) {
    throw new PlanRequestError(
      `${unknown.join(', ')} ${unknown.length === 1 ? 'is not a region' : 'are not regions'} where Lambda runs; use one of: ${lambdaRegions.join(', ')}`,
    );
  }
  if (wanted.length === 0) throw new PlanRequestError('no regions to publish to: name at least one region');
  return [...new Set(wanted)];
}

/**
 * Decides what this run builds: expands the catalog into targets, pins what "latest" means upstream, and leaves
 * out targets whose content is already the latest version in every region.
 */
export async function plan(request: RunRequest, deps: PlanDeps): Promise<PlanResult> {
  const log = deps.log ?? (() => undefined);
  const { catalog } = deps;
  // Opt-in regions the account has not enabled would fail on every run: they are left out and named.
  const { regions, skipped: skippedRegions } = splitEnabled(checkRequest(request, catalog, await deps.lambdaRegions()), await deps.enabledRegions?.());
  if (regions.length === 0) {
    throw new PlanRequestError(
      `none of the run's regions is enabled in this account (${skippedRegions.map((skip) => skip.region).join(', ')}); enable one in the account settings or name enabled regions`,
    );
  }
  if (skippedRegions.length > 0) log(`left out (not enabled in this account): ${skippedRegions.map((skip) => skip.region).join(', ')}`);
  const targets = expandCatalog(catalog, request.only && request.only.length > 0 ? request.only : undefined);
  const startedAt = (deps.now?.() ?? new Date()).toISOString();
  const runId = request.runId ?? `${startedAt.replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;

  const builds: PlannedBuild[] = [];
  let failed = 0;
  const resolvedTargets: { resolved: ResolvedTarget; inputHash: string; knownSha256?: string }[] = [];
  // Lambda's real state is read while the targets resolve: both are mostly waiting on the network.
  // Every region at once: each has its own control-plane quota, so a global cap would only make 34 regions take
  // as long as 34 / cap of them one after the other.
  const readState = (region: string, suspect = false) =>
    readRegionState(region, catalog.settings.prefix, suspect && deps.health ? { ...deps, lambdaFor: deps.health.suspectLambdaFor } : deps);
  const statesPromise = deps.health
    ? readRegionsGuarded(regions, readState, deps.health)
    : mapLimit(regions, Math.max(1, regions.length), (region) => readState(region)).then((states) => ({ states, held: new Map<string, HeldRegion>(), suspects: [] as string[] }));
  statesPromise.catch(() => undefined);
  await mapLimit(targets, 4, async (target) => {
    const ctx: KindContext = {
      workDir: path.join(deps.tmpDir, target.layerName),
      cacheDir: deps.cacheDir ?? path.join(deps.tmpDir, 'cache'),
      log: (message) => log(`${target.layerName}: ${message}`),
    };
    let resolved: ResolvedTarget;
    try {
      resolved = await kindNamed(target.kind).resolve(target, ctx);
    } catch (error) {
      failed++;
      await deps.store.putOutcome(runId, { layerName: target.layerName, status: 'failed', reason: 'plan', detail: reasonOf(error) });
      afterWrite('plan:outcome');
      return;
    }
    const inputHash = inputHashOf(resolved);
    const knownSha256 = request.force ? undefined : (await deps.store.getInput(resolved.layerName, inputHash))?.sha256;
    resolvedTargets.push({ resolved, inputHash, knownSha256 });
  });
  const { states, held, suspects } = await statesPromise;
  const visibility = visibilityKey(catalog.settings.visibility);
  const facts: LayerFacts[] = resolvedTargets.map(({ resolved, knownSha256 }) => ({
    layerName: resolved.layerName,
    knownSha256,
    visibility,
    force: request.force,
  }));
  const decisions = reconcile(facts, states, { ...catalog.settings.audit, full: request.audit });
  let unchanged = 0;
  await mapLimit(resolvedTargets, 8, async ({ resolved, inputHash }) => {
    const { pending, unchanged: same } = decisions.get(resolved.layerName)!;
    unchanged += same.length;
    // A region held back (its state could not be read) gets one outcome per layer saying why.
    for (const [region, hold] of held) await deps.store.putOutcome(runId, { layerName: resolved.layerName, region, ...hold });
    if (pending.length === 0 && held.size === 0) {
      await deps.store.putOutcome(runId, { layerName: resolved.layerName, status: 'unchanged' });
      afterWrite('plan:outcome');
      return;
    }
    log(`${resolved.layerName}: ${pending.map((decision) => `${decision.region} (${decision.work})`).join(', ')}`);
    // Regions already holding the content are reported now, one outcome each, so every layer × region has one.
    for (const region of same) {
      await deps.store.putOutcome(runId, { layerName: resolved.layerName, region, status: 'unchanged' });
      afterWrite('plan:outcome');
    }
    if (pending.length === 0) return;
    const targetKey = targetKeyOf(runId, resolved.layerName);
    await deps.artifacts.putText(targetKey, JSON.stringify(resolved), 'application/json');
    afterWrite('plan:target');
    builds.push({ layerName: resolved.layerName, targetKey, inputHash, regions: pending.map((decision) => decision.region) });
  });
  builds.sort((a, b) => a.layerName.localeCompare(b.layerName));
  log(`planned ${builds.length} build(s), ${unchanged} layer × region unchanged, ${failed} failed, for ${regions.length} region(s)`);
  // The builds go to S3 for the Builds map's ItemReader, so that Plan's output stays the same size whatever
  // the number of targets and regions; the manifest is written last: its presence says the items are complete.
  const itemsKey = itemsKeyOf(runId);
  const manifestKey = manifestKeyOf(runId);
  await deps.artifacts.putText(itemsKey, JSON.stringify(builds), 'application/json');
  const manifest: RunManifest = { runId, regions, itemsKey, skippedRegions, buildCount: builds.length };
  await deps.artifacts.putText(manifestKey, JSON.stringify(manifest), 'application/json');
  return {
    runId,
    startedAt,
    force: Boolean(request.force),
    settings: {
      prefix: catalog.settings.prefix,
      visibility: catalog.settings.visibility,
      expiryDays: catalog.settings.expiryDays,
      ...(catalog.settings.publishUnverified !== undefined ? { publishUnverified: catalog.settings.publishUnverified } : {}),
      ...(suspects.length > 0 ? { suspectRegions: suspects } : {}),
    },
    itemsKey,
    manifestKey,
    buildCount: builds.length,
  };
}
