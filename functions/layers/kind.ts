import type { z } from 'zod';
import type { ArchivedEntry } from '../archive/archived-entry';
import type { RawZipEntry } from '../archive/raw-entry';

/** Instruction set architectures Lambda layers declare (CompatibleArchitectures). */
export const ARCHITECTURES = ['x86_64', 'arm64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** The global settings of a catalog that a layer kind may need when it expands or builds an entry. */
export interface KindSettings {
  /** Prefix of every layer name lamina publishes, e.g. `lamina`. */
  prefix: string;
  /** Python package index (Simple API) used by `python` entries that name none; PyPI when unset. */
  pythonIndexUrl?: string;
  /** Node.js distribution site for `node-runtime` entries with source `dist`; https://nodejs.org/dist when unset. */
  nodeDistUrl?: string;
  /** npm registry for `node-runtime` entries with source `npm`; https://registry.npmjs.org when unset. */
  npmRegistryUrl?: string;
  /** The folder of the catalog file: repository paths in entries (an npm lockfile, a files folder) are relative to it. */
  catalogDir?: string;
}

/**
 * One layer to build: a catalog entry expanded for one runtime and/or architecture.
 * Everything in it is plain JSON, because it travels through Step Functions between Plan, Build and Publish.
 */
export interface LayerTarget {
  /** The catalog entry this target comes from. */
  entry: string;
  /** The layer kind (`bash-runtime`, `node-runtime`, `python`, ...). */
  kind: string;
  /** The full AWS layer name: 1-140 of [a-zA-Z0-9-_], prefix included. */
  layerName: string;
  /** CompatibleRuntimes (at most 15 together with architectures). */
  runtimes: string[];
  /** CompatibleArchitectures. */
  architectures: Architecture[];
  /** Human description; Build may replace it with one that names the resolved version (<= 256 chars). */
  description: string;
  /** The kind's own inputs for this target: what to package, as the catalog states it, plus what Resolve pinned. */
  spec: Record<string, unknown>;
}

/** What a kind gives Plan after looking upstream: the pinned inputs, and whatever names the content. */
export interface ResolvedTarget extends LayerTarget {
  /**
   * Everything that determines the layer's bytes, as plain JSON (e.g. the exact Node.js version and archive
   * sha256, or the resolved wheel set). Plan hashes it; an unchanged hash means nothing needs building.
   */
  inputs: unknown;
  /** The main package or runtime version, shown in listings (e.g. `12.16.1`, `requests 2.32.3`). */
  packageVersion?: string;
}

export interface KindContext {
  /** A private scratch folder (a stand-in for /tmp on Lambda); the kind writes only below it. */
  workDir: string;
  /** A cache folder kept between builds where one exists (locally `.lamina/cache`), else inside workDir. */
  cacheDir: string;
  /** Progress lines for a person; structured, one line each. */
  log: (message: string) => void;
}

/** What a build produced: a folder whose content becomes the zip root (it lands in /opt). */
export interface BuiltLayer {
  /** Folder to zip; every path below it becomes a zip entry relative to it. */
  rootDir: string;
  /** Description for PublishLayerVersion (<= 256 chars). */
  description: string;
  /** LicenseInfo for PublishLayerVersion (<= 512 chars). */
  licenseInfo?: string;
  packageVersion?: string;
  /** Per-kind record of what went in (e.g. installed distributions); stored with the build record. */
  manifest?: unknown;
  /** Extra files to store beside the zip in the artifact store, e.g. `{ 'sbom.cdx.json': '...' }`. */
  attachments?: Record<string, string>;
  /**
   * Compressed bytes already at hand for files of the layer (e.g. in the wheels they came from), which the zip
   * writer copies instead of deflating again when the file is unchanged. Names are relative to rootDir.
   */
  rawEntries?: RawZipEntry[];
  /**
   * Files of the layer that stay in the archives they were downloaded as (e.g. verified wheels): the zip writer
   * copies their compressed bytes straight into the layer zip; they are not in rootDir (which may add to them). A
   * step that needs some of them on disk takes them out with `extractArchived` (functions/archive/archived-entry.ts).
   */
  archived?: ArchivedEntry[];
}

/**
 * A layer kind. Adding a kind to lamina means writing one of these and listing it in `functions/layers/kinds.ts`.
 */
export interface LayerKind<Entry extends { name: string; kind: string } = { name: string; kind: string }> {
  kind: string;
  /** zod schema of one catalog entry of this kind; `kind` is a literal so the catalog can discriminate on it. */
  entrySchema: z.ZodType<Entry>;
  /** Expands one entry into its targets (one per runtime x architecture, or one for all). No I/O. */
  expand(entry: Entry, settings: KindSettings): LayerTarget[];
  /** Pins what "latest" means upstream, without downloading what it would package. */
  resolve(target: LayerTarget, ctx: KindContext): Promise<ResolvedTarget>;
  /** Downloads (verified), installs and lays out the layer under ctx.workDir. */
  build(target: ResolvedTarget, ctx: KindContext): Promise<BuiltLayer>;
  /**
   * How the finished layer is proven on its target runtime and architecture before anything is published (the
   * pipeline's Verify step, and `lamina build`). A kind without one is published unverified: give every kind one.
   */
  verify?: LayerVerifier;
}

/** One runtime × architecture a layer is proven on. */
export interface VerifyTarget {
  /** A Lambda runtime identifier: `python3.12`, `nodejs22.x`, `provided.al2023`. */
  runtime: string;
  architecture: Architecture;
}

/**
 * Where a verification runs: a machine that runs the target runtime on the target architecture. On AWS that is a
 * verify function of exactly that runtime × architecture; locally this machine, with a matching interpreter and,
 * for arm64 on x86_64, qemu user-mode emulation (there is no binfmt: every arm64 binary is started through it).
 */
export interface VerifyEnvironment extends VerifyTarget {
  where: 'aws' | 'local';
  /** Prefix that runs a binary of the target architecture: `[]` natively, `['qemu-aarch64', '-L', sysroot]` emulated. */
  emulator: string[];
  /** Starts the target's Node.js (nodejs*.x targets): emulator included, ready for arguments. */
  node?: string[];
  /** Starts the target's Python (python3.X targets): emulator included, ready for arguments. */
  python?: string[];
  /** For a person: how this environment runs the target, e.g. `node v22.11.0 linux-arm64 under qemu-aarch64`. */
  description: string;
}

export interface VerifyContext extends KindContext {
  env: VerifyEnvironment;
}

/** What a verification proved, for the build record, the run summary and the listing. */
export interface VerifyReport {
  /** One line for a person: `imported 12 top-level modules (urllib3, requests, ...)`. */
  summary: string;
  /**
   * True when the kind added files to the layer (Python: `__pycache__` bytecode for the target version):
   * the published zip is the built zip plus these files, and its sha256 is the one recorded.
   */
  changed?: boolean;
}

/**
 * A kind's verification. `run` is handed the layer unzipped (what lands in /opt) and an environment of the target
 * runtime × architecture; it throws VerificationError when the layer does not work there, NotVerifiableError when
 * this environment cannot tell.
 */
export interface LayerVerifier {
  /** The runtime × architecture pairs to prove the layer on; every runtime × architecture of the target when absent. */
  targets?(target: LayerTarget): VerifyTarget[];
  run(target: ResolvedTarget, layerDir: string, ctx: VerifyContext): Promise<VerifyReport>;
  /**
   * Verifies the built zip itself, which is then never unzipped for this kind (Python compiles its sources in
   * memory); what it adds to the layer (bytecode) it writes as a zip at `changesZip`, named as in the layer.
   */
  runOnZip?(target: ResolvedTarget, zipFile: string, changesZip: string, ctx: VerifyContext): Promise<VerifyReport>;
}

/** Base class for errors a person can act on: the message names the thing and what to do. */
export class LaminaError extends Error {
  constructor(message: string, readonly code: string = 'LaminaError') {
    super(message);
    this.name = code;
  }
}

/** A build failed for a reason in its inputs (bad version, checksum mismatch, unsafe archive...). */
export class BuildError extends LaminaError {
  constructor(message: string) {
    super(message, 'BuildError');
  }
}

/**
 * A layer failed on its target: `subject` names what failed (a module, a package, the bootstrap) and the message
 * carries the error (a traceback, the runtime's answer and logs).
 */
export class VerificationError extends LaminaError {
  constructor(
    readonly subject: string,
    message: string,
  ) {
    super(message, 'VerificationError');
  }
}

/** This environment cannot run the check (no matching interpreter, no emulator): the layer is "not verified". */
export class NotVerifiableError extends LaminaError {
  constructor(message: string) {
    super(message, 'NotVerifiableError');
  }
}
