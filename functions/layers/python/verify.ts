import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { NotVerifiableError, VerificationError, type LayerVerifier, type ResolvedTarget, type VerifyContext, type VerifyReport } from '../kind';
import type { Verification } from '../../../schema/table';

const run = promisify(execFile);

/**
 * The Python verifier (standard library only): the handler of the Python verify functions on AWS, and what a local
 * python3.X runs here. Found beside the sources, or from the compiled CLI (compiled/ at the project root).
 */
export const VERIFY_SCRIPT = [
  path.join(__dirname, '..', '..', 'verify', 'python', 'verify_layer.py'),
  path.resolve(__dirname, '..', 'functions', 'verify', 'python', 'verify_layer.py'),
].find((file) => existsSync(file)) ?? path.join(__dirname, '..', '..', 'verify', 'python', 'verify_layer.py');

/** What verify_layer.py prints (its `report` is for tools; lamina records the `outcome`). */
export interface PythonVerifyOutput {
  report: { compiled?: string[]; notCompiled?: Array<{ file: string; error: string }>; cacheTag?: string; magic?: string; timings?: Record<string, number> };
  outcome: Verification | null;
}

/** The Python version (`3.12`) a python target is for. */
function pythonVersionOf(target: ResolvedTarget): string {
  const version = (target.spec as { pythonVersion?: unknown }).pythonVersion;
  if (typeof version !== 'string') throw new Error(`target ${target.layerName} names no Python version; expand the catalog entry again`);
  return version;
}

/**
 * Runs verify_layer.py on the layer: its zip, the bytecode going to the zip `changes`; or a folder, the bytecode
 * written into it.
 */
async function verifyPython(target: ResolvedTarget, layer: string, changes: string | undefined, ctx: VerifyContext): Promise<VerifyReport> {
  const version = pythonVersionOf(target);
  if (!ctx.env.python) throw new NotVerifiableError(`no Python ${version} for ${ctx.env.architecture} here`);
  const [program, ...prefix] = ctx.env.python;
  const args = [...prefix, VERIFY_SCRIPT, layer, ...(changes ? ['--changes', changes] : ['--in-place']), '--python-version', version, '--runtime', ctx.env.runtime, '--architecture', ctx.env.architecture, '--how', ctx.env.description];
  let output: PythonVerifyOutput;
  await fs.mkdir(ctx.workDir, { recursive: true });
  try {
    const { stdout } = await run(program, args, { maxBuffer: 256 * 1024 * 1024, cwd: ctx.workDir });
    output = JSON.parse(stdout) as PythonVerifyOutput;
  } catch (error) {
    throw new VerificationError('python', `${target.layerName}: the verifier did not run on ${program}: ${(error as Error).message}`);
  }
  const outcome = output.outcome!;
  const timings = output.report.timings;
  if (timings) ctx.log(`verify_layer.py: ${Object.entries(timings).map(([phase, ms]) => `${phase.replace(/Ms$/, '')} ${ms} ms`).join(', ')} (unpack overlaps compile)`);
  const notCompiled = output.report.notCompiled ?? [];
  if (notCompiled.length > 0) ctx.log(`${notCompiled.length} file(s) do not compile on Python ${version} and stay source only: ${notCompiled.slice(0, 5).map((f) => f.file).join(', ')}`);
  if (outcome.status === 'failed') throw new VerificationError(outcome.subject ?? 'python', outcome.error ?? 'failed');
  return { summary: outcome.summary ?? '', changed: (output.report.compiled ?? []).length > 0 };
}

/**
 * Python layers: compiled to unchecked-hash bytecode for the target version at their Lambda path (/opt/python),
 * then each top-level module of the installed distributions imported from a read-only tree of the layer with that
 * bytecode, in a fresh interpreter of exactly the target version. From the built zip, the sources are compiled in
 * memory (by one worker per core) and the zip is unpacked only for the imports; the bytecode is part of what is
 * published (`changed`).
 */
export const pythonVerifier: LayerVerifier = {
  run: (target, layerDir, ctx) => verifyPython(target, layerDir, undefined, ctx),
  runOnZip: (target, zipFile, changesZip, ctx) => verifyPython(target, zipFile, changesZip, ctx),
};
