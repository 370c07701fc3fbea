import {
  BuildError,
  NotVerifiableError,
  VerificationError,
  type KindContext,
  type LayerTarget,
  type ResolvedTarget,
  type VerifyEnvironment,
  type VerifyReport,
  type VerifyTarget,
} from '../layers/kind';
import { kindNamed } from '../layers/kinds';
import type { Verification } from '../../schema/table';
import { LayerUnderVerification } from './layer-under-verification';

/** Errors are kept to this many characters in records and summaries (a traceback's end is what matters). */
export const MAX_ERROR_CHARS = 4000;

function cutError(text: string): string {
  return text.length <= MAX_ERROR_CHARS ? text : `…${text.slice(text.length - MAX_ERROR_CHARS + 1)}`;
}

/** The runtime × architecture pairs a target is proven on: the kind's choice, else every pair it declares. */
export function verifyTargetsOf(target: LayerTarget): VerifyTarget[] {
  const verifier = kindNamed(target.kind).verify;
  if (verifier?.targets) return verifier.targets(target);
  return target.runtimes.flatMap((runtime) => target.architectures.map((architecture) => ({ runtime, architecture })));
}

/** Where the verification of one runtime × architecture runs; throws NotVerifiableError when nowhere here. */
export type EnvironmentOf = (target: VerifyTarget) => Promise<VerifyEnvironment>;

/** A verification outcome plus whether the kind added files to the layer folder. */
export interface VerifyRun {
  verification: Verification;
  changed: boolean;
}

/**
 * Proves a layer on one runtime × architecture with the target's kind: its built zip (unzipped only for a kind
 * that needs the tree; what the kind adds is kept in `layer.changes`), or a folder already holding it as it lands
 * in /opt. Never throws for the layer's own faults: a failure or a missing environment is the outcome, so that
 * every target of a layer is reported, not just the first.
 */
export async function verifyOn(
  target: ResolvedTarget,
  check: VerifyTarget,
  layer: LayerUnderVerification | string,
  environmentOf: EnvironmentOf,
  ctx: KindContext,
  now: () => Date = () => new Date(),
): Promise<VerifyRun> {
  const base = { runtime: check.runtime, architecture: check.architecture };
  let env: VerifyEnvironment | undefined;
  try {
    const verifier = kindNamed(target.kind).verify;
    if (!verifier) throw new NotVerifiableError(`the ${target.kind} layer kind has no verification`);
    env = await environmentOf(check);
    ctx.log(`verifying on ${check.runtime} ${check.architecture}: ${env.description}`);
    const vctx = { ...ctx, env };
    let report: VerifyReport;
    if (typeof layer === 'string') report = await verifier.run(target, layer, vctx);
    else if (verifier.runOnZip) {
      const changes = await layer.changesFileFor(check);
      report = await verifier.runOnZip(target, layer.zipFile, changes, vctx);
      if (report.changed) layer.keepChanges(changes);
    } else {
      report = await verifier.run(target, await layer.tree(), vctx);
      // What a kind adds must come back as a changes zip (runOnZip): the tree is not sealed.
      if (report.changed) throw new Error(`the ${target.kind} kind's verifier changed the layer but has no runOnZip to hand its changes back`);
    }
    const verification: Verification = { ...base, status: 'verified', where: env.where, how: env.description, at: now().toISOString(), summary: report.summary };
    return { verification, changed: Boolean(report.changed) };
  } catch (error) {
    const where = env?.where ?? 'local';
    const how = env?.description ?? 'no environment';
    const at = now().toISOString();
    if (error instanceof NotVerifiableError) {
      return { verification: { ...base, status: 'not verified', where, how, at, reason: error.message }, changed: false };
    }
    const subject = error instanceof VerificationError ? error.subject : 'verification';
    const message = error instanceof Error ? error.message : String(error);
    return { verification: { ...base, status: 'failed', where, how, at, subject, error: cutError(message) }, changed: false };
  }
}

/** One line per verification, for logs, `lamina build` and the run summary. */
export function describeVerification(v: Verification): string {
  const head = `${v.runtime} ${v.architecture}: ${v.status}`;
  if (v.status === 'verified') return `${head} (${v.how}): ${v.summary ?? ''}`.trim();
  if (v.status === 'not verified') return `${head}: ${v.reason ?? ''}`;
  return `${head} (${v.how}): ${v.subject ?? 'verification'}: ${v.error ?? ''}`;
}

/** A layer failed on one of its targets: the message names the layer, what failed, where, and the error. */
export class LayerVerificationFailed extends BuildError {
  constructor(
    readonly layerName: string,
    readonly failures: Verification[],
  ) {
    super(`${layerName} failed verification, nothing was published: ${failures.map(describeVerification).join('; ')}`);
    this.name = 'VerificationFailed';
  }
}

/** A layer that could not be verified, where the catalog does not allow publishing it so. */
export class LayerNotVerified extends BuildError {
  constructor(
    readonly layerName: string,
    readonly unverified: Verification[],
  ) {
    super(
      `${layerName} could not be verified and settings.publishUnverified does not allow publishing it: ${unverified.map(describeVerification).join('; ')}`,
    );
    this.name = 'NotVerified';
  }
}

/**
 * Whether a layer with these verifications may be published. A failure never; "not verified" only where the
 * catalog allows it: `publishUnverified` when set, otherwise yes for a local run (with a warning) and no on AWS.
 */
export function publishDecision(layerName: string, verifications: Verification[], publishUnverified?: boolean): { warnings: string[] } {
  const failures = verifications.filter((v) => v.status === 'failed');
  if (failures.length > 0) throw new LayerVerificationFailed(layerName, failures);
  const unverified = verifications.filter((v) => v.status === 'not verified');
  const refused = unverified.filter((v) => !(publishUnverified ?? v.where === 'local'));
  if (refused.length > 0) throw new LayerNotVerified(layerName, refused);
  return { warnings: unverified.map((v) => `${layerName} is published NOT VERIFIED on ${describeVerification(v)}`) };
}
