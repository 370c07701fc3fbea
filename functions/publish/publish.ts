import type { ArtifactStore } from '../aws/artifacts';
import type { LayerApi, LayerVersionRef, PublishRequest } from '../aws/lambda-layers';
import { visibilityKey } from '../catalog/settings';
import { afterWrite } from '../shared/crash-points';
import { MAX_DIRECT_UPLOAD_BYTES } from '../layers/limits';
import type { PublishEvent } from '../shared/pipeline-events';
import type { LayerStore, NewVersion, RecordChanges } from '../store/layer-store';
import type { ClaimItem, Repair, RunOutcome, Verification } from '../../schema/table';
import { describeVerification } from '../verify/verify';
import { verifiedZips, type VerifiedZips } from './verified-zips';
import { checkUnzippedSize, needsStaging, stageLayer, type StageDeps, type StagedContent } from './staging';

export { MAX_DIRECT_UPLOAD_BYTES };

/** How long a claim is held without renewal; its owner renews it every third of that while it works. */
export const DEFAULT_CLAIM_LEASE_MS = 60_000;

export interface ClaimTiming {
  leaseMs: number;
  /** How long a run waits for another run's claim before it skips the region (that run publishes it). */
  waitMs: number;
  pollMs: number;
}

/** LAMINA_CLAIM_LEASE_MS shortens the lease (tests that kill a run and rerun at once). */
export function claimTiming(env = process.env): ClaimTiming {
  const leaseMs = Number(env.LAMINA_CLAIM_LEASE_MS) > 0 ? Number(env.LAMINA_CLAIM_LEASE_MS) : DEFAULT_CLAIM_LEASE_MS;
  return { leaseMs, waitMs: 2 * leaseMs, pollMs: Math.min(1000, Math.max(50, leaseMs / 10)) };
}

export interface PublishDeps {
  api: Pick<LayerApi, 'newestVersion' | 'publish' | 'applyVisibility'>;
  store: Pick<LayerStore, 'recordNewVersion' | 'recordPublished' | 'recordRefused' | 'putOutcome' | 'claimPublish' | 'updateClaim'>;
  artifacts: Pick<ArtifactStore, 'getBuffer' | 'bucket' | 'copyTo' | 'deleteIn' | 'digest'>;
  /** Where zips over 50 MB are staged in each region (functions/publish/staging.ts). */
  staging: StageDeps['staging'];
  /** Zips already read and checked by this container (functions/publish/verified-zips.ts); the module's by default. */
  verifiedZips?: VerifiedZips;
  claim?: ClaimTiming;
  sleep?: (ms: number) => Promise<void>;
  log?: (message: string) => void;
  now?: () => Date;
}

interface Step {
  event: PublishEvent;
  deps: PublishDeps;
  log: (message: string) => void;
}

const holdsContent = (version: LayerVersionRef | undefined, event: PublishEvent) => version?.codeSha256 === event.layer.codeSha256;

/** The run's answer for this layer × region: recorded in the table, then returned. */
async function finish(step: Step, outcome: Omit<RunOutcome, 'layerName' | 'region'>): Promise<RunOutcome> {
  const note = outcome.status === 'failed' || outcome.status === 'skipped' ? {} : unverifiedNote(step.event.layer.verifications);
  const full: RunOutcome = { layerName: step.event.layer.layerName, region: step.event.region, ...note, ...outcome };
  await step.deps.store.putOutcome(step.event.runId, full);
  afterWrite('publish:outcome');
  return full;
}

/**
 * Claims this content in this region for this run, waiting while another run holds it. Returns the claim, or
 * `done` when the other run published the content meanwhile, or `held` when it still holds the claim after the
 * wait (it is alive and publishing: this run skips the region).
 */
async function claimContent(step: Step): Promise<{ claim: ClaimItem; fresh: boolean } | { done: LayerVersionRef } | 'held'> {
  const { event, deps } = step;
  const timing = deps.claim ?? claimTiming();
  const sleep = deps.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    // The first attempt tries the claim as a new item: one request where nobody claimed this content here yet.
    const result = await deps.store.claimPublish(event.layer.layerName, event.region, event.layer.sha256, event.runId, timing.leaseMs, Date.now(), attempt === 0);
    if (result.won) return { claim: result.claim, fresh: result.fresh };
    if (Date.now() - started >= timing.waitMs) return 'held';
    step.log(`run ${result.holder.owner} is publishing this content here; waiting`);
    await sleep(timing.pollMs);
    const newest = await deps.api.newestVersion(event.layer.layerName);
    if (holdsContent(newest, event)) return { done: newest! };
  }
}

/** Keeps a claim's lease alive while its owner works; returns the function that stops it. */
function keepClaim(step: Step, claim: ClaimItem): () => void {
  const { leaseMs } = step.deps.claim ?? claimTiming();
  const timer = setInterval(() => {
    step.deps.store.updateClaim(claim, { leaseUntil: Date.now() + leaseMs }).then(
      (held) => held || step.log('lost the claim (its lease ran out)'),
      () => undefined,
    );
  }, leaseMs / 3);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The stored zip, checked: its sha256 must be the one the build recorded, before anything reaches Lambda (a zip
 * over 50 MB is checked in the artifact bucket, then staged by a server-side copy). Returns the content to
 * publish, or the reason it may not be.
 */
async function verifiedContent(step: Step): Promise<{ content: PublishRequest['content']; staged?: StagedContent } | { mismatch: string }> {
  const { layer, region, runId } = step.event;
  const { artifacts } = step.deps;
  checkUnzippedSize(layer, region);
  const refuse = (sha256: string | undefined) => ({
    mismatch:
      `${artifacts.bucket}/${layer.artifactKey} ${sha256 ? `has sha256 ${sha256}` : 'is missing'}, but the build recorded ${layer.sha256}; ` +
      'nothing was published (the next run rebuilds the layer)',
  });
  if (!needsStaging(layer)) {
    const checked = await (step.deps.verifiedZips ?? verifiedZips).checked(runId, layer.sha256, () => artifacts.getBuffer(layer.artifactKey).catch(() => undefined));
    return 'zip' in checked ? { content: { zipFile: checked.zip } } : refuse(checked.found);
  }
  const digest = await artifacts.digest(layer.artifactKey);
  if (digest?.sha256 !== layer.sha256) return refuse(digest?.sha256);
  const staged = await stageLayer(runId, layer, region, { artifacts, staging: step.deps.staging, log: step.log });
  return { content: { s3Bucket: staged.s3Bucket, s3Key: staged.s3Key }, staged };
}

/**
 * PublishLayerVersion, then the check that Lambda got the bytes that were verified; a version that does not
 * hold them is recorded as refused (deprecated, expiring now: Expire deletes it), so nothing unrecorded stays.
 */
async function publishVersion(
  step: Step,
  { content, staged }: { content: PublishRequest['content']; staged?: StagedContent },
): Promise<LayerVersionRef | { mismatch: string }> {
  const { layer, region } = step.event;
  let version: LayerVersionRef;
  try {
    version = await step.deps.api.publish({
      layerName: layer.layerName,
      description: layer.description,
      licenseInfo: layer.licenseInfo,
      runtimes: layer.runtimes,
      architectures: layer.architectures,
      content,
    });
  } finally {
    // Lambda has its own copy once PublishLayerVersion answers; after a failure a retry stages again.
    await staged?.release();
  }
  if (version.codeSha256 !== layer.codeSha256) {
    await step.deps.store.recordRefused({ ...versionRecord(step, version, new Date()), codeSha256: version.codeSha256 });
    return {
      mismatch: `Lambda reports CodeSha256 ${version.codeSha256} for version ${version.version} in ${region}, but the built zip is ${layer.codeSha256}; the version is recorded as refused and Expire deletes it`,
    };
  }
  step.log(`published version ${version.version}`);
  return version;
}

function versionRecord(step: Step, version: LayerVersionRef, now: Date): NewVersion {
  const { layer, region, settings } = step.event;
  return {
    layerName: layer.layerName,
    region,
    version: version.version,
    arn: version.arn,
    layerArn: version.layerArn,
    sha256: layer.sha256,
    codeSha256: layer.codeSha256,
    entry: layer.entry,
    kind: layer.kind,
    runtimes: layer.runtimes,
    architectures: layer.architectures,
    description: layer.description,
    packageVersion: layer.packageVersion,
    size: layer.size,
    publishedAt: version.createdDate,
    ...(layer.verifications ? { verifications: layer.verifications } : {}),
    visibility: visibilityKey(settings.visibility),
    auditedAt: now.toISOString(),
  };
}

/** What Publish recorded, for what follows it in the same invocation (the SSM lookup and the events). */
export interface PublishRecord {
  version: NewVersion;
  changes: RecordChanges;
  /** PublishLayerVersion made this version in this invocation (not in an earlier attempt, not another run). */
  publishedNow: boolean;
}

/**
 * Makes one region hold one built layer as the catalog says, and reports exactly what it did. When the region's
 * newest version already has this CodeSha256 nothing is published; otherwise the content is claimed (one run at a
 * time per layer × region × content), checked against the build's sha256 and published. Either way the version's
 * actual policy is made what the visibility asks for and the records are made what Lambda holds.
 */
export async function publish(event: PublishEvent, deps: PublishDeps): Promise<RunOutcome> {
  return (await publishRegion(event, deps)).outcome;
}

/** `publish`, with what it recorded (undefined when it recorded no version as published). */
export async function publishRegion(event: PublishEvent, deps: PublishDeps): Promise<{ outcome: RunOutcome; record?: PublishRecord }> {
  const step: Step = { event, deps, log: (message) => deps.log?.(`${event.layer.layerName} ${event.region}: ${message}`) };
  let version = await deps.api.newestVersion(event.layer.layerName);
  /** This invocation's PublishLayerVersion made the version: it has no policy yet, and no lookup holds it. */
  let publishedNow = false;
  let made: NewVersion | undefined;
  let claimed: Awaited<ReturnType<typeof claimContent>> | undefined;
  let stopRenewing: (() => void) | undefined;
  try {
    if (!holdsContent(version, event)) {
      claimed = await claimContent(step);
      if (claimed === 'held') return { outcome: await finish(step, { status: 'skipped', reason: 'claimed', detail: 'another run still holds the claim after the wait' }) };
      if ('done' in claimed) version = claimed.done;
      else {
        const { claim } = claimed;
        stopRenewing = keepClaim(step, claim);
        // Under the claim, look again: the previous holder may have published it, or this run did before a retry.
        // A fresh claim had no previous holder, so the look before it still stands.
        if (!claimed.fresh) version = await deps.api.newestVersion(event.layer.layerName);
        if (!holdsContent(version, event)) {
          const checked = await verifiedContent(step);
          if ('mismatch' in checked) return { outcome: await finish(step, { status: 'failed', reason: 'artifact-mismatch', detail: checked.mismatch }) };
          const result = await publishVersion(step, checked);
          if ('mismatch' in result) return { outcome: await finish(step, { status: 'failed', reason: 'artifact-mismatch', detail: result.mismatch }) };
          version = result;
          publishedNow = true;
          // At once, before anything else can fail: a retried step then knows this run published it.
          made = versionRecord(step, version, deps.now?.() ?? new Date());
          await deps.store.recordNewVersion(made, event.runId);
        }
      }
    } else step.log(`version ${version!.version} already holds this content`);

    const permissions = await deps.api.applyVisibility(event.layer.layerName, version!.version, event.settings.visibility, { fresh: publishedNow });
    const now = deps.now?.() ?? new Date();
    const record = made ?? versionRecord(step, version!, now);
    const changes = await deps.store.recordPublished(record, event.settings.expiryDays, now, { publishedNow });
    const recorded: PublishRecord = { version: record, changes, publishedNow };
    // This run may have published it already, in an attempt that failed after PublishLayerVersion.
    const published = publishedNow || changes.publishedBy === event.runId;
    if (published && !publishedNow) step.log(`version ${version!.version} was published by this run, in an earlier attempt`);
    const repairs: Repair[] = [];
    if (permissions.added.length || permissions.removed.length) repairs.push('permissions');
    if (changes.record) repairs.push('record');
    if (changes.deprecated.length) repairs.push('deprecated');
    const base = { version: version!.version, arn: version!.arn };
    if (published) return { outcome: await finish(step, { status: 'published', ...base }), record: recorded };
    if (repairs.length === 0) return { outcome: await finish(step, { status: 'unchanged', ...base }), record: recorded };
    const detail = [
      permissions.added.length || permissions.removed.length
        ? `permissions: added ${permissions.added.join(', ') || 'none'}, removed ${permissions.removed.join(', ') || 'none'}`
        : '',
      changes.record ? `recorded version ${version!.version} as Lambda holds it` : '',
      changes.deprecated.length ? `deprecated version ${changes.deprecated.map((old) => old.version).join(', ')}` : '',
    ].filter(Boolean);
    step.log(`repaired: ${detail.join('; ')}`);
    return { outcome: await finish(step, { status: 'repaired', repairs, detail: detail.join('; '), ...base }), record: recorded };
  } finally {
    stopRenewing?.();
    // A claim is released only when its content did not reach Lambda: once it has, a run waiting for the claim
    // finds the content in Lambda and needs no claim, and the lease (held by this run) runs out by itself. No
    // crash point: a crash after this write leaves what a crash before it does (the step failed; the lease ends).
    if (claimed && claimed !== 'held' && 'claim' in claimed && !holdsContent(version, event)) {
      await deps.store.updateClaim(claimed.claim, { leaseUntil: 0 });
    }
  }
}

/** A layer let through unverified says so in its outcome, so the run summary shows it (never silently). */
function unverifiedNote(verifications: Verification[] | undefined): Pick<RunOutcome, 'reason' | 'detail'> {
  const unverified = (verifications ?? []).filter((v) => v.status === 'not verified');
  if (unverified.length === 0) return {};
  return { reason: 'not-verified', detail: `published NOT VERIFIED: ${unverified.map(describeVerification).join('; ')}` };
}
