import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { archiveFormatOf, extractArchive, type ArchiveFormat } from '../../archive/extract-archive';
import { resolveInside } from '../../archive/safe-path';
import {
  ARCHITECTURES,
  BuildError,
  type Architecture,
  type BuiltLayer,
  type KindContext,
  type KindSettings,
  type LayerKind,
  type LayerTarget,
  type ResolvedTarget,
  type VerifyContext,
  type VerifyReport,
} from '../kind';
import { PROVIDED_RUNTIMES } from '../bash-runtime/kind';
import { entryNameField } from '../entry-fields';
import { glibcText } from '../elf/elf';
import { assertNativeFilesFit, findNativeFiles, type NativeTarget } from '../elf/native-check';
import { downloadVerified, sha256Integrity } from '../node-runtime/download';
import { NODE_LAMBDA_RUNTIMES } from '../npm/lambda-node-runtimes';
import { PYTHON_RUNTIMES } from '../python/lambda-runtimes';
import { directorySize, formatBytes } from '../python/installer';

/** Every Lambda runtime lamina knows, with the glibc of its Amazon Linux: what native files in a files layer must fit. */
const RUNTIME_GLIBC: Record<string, [number, number]> = {
  ...Object.fromEntries(PYTHON_RUNTIMES.map((r) => [r.runtime, [r.glibc[0], r.glibc[1]]])),
  ...Object.fromEntries(NODE_LAMBDA_RUNTIMES.map((r) => [r.runtime, [r.glibc[0], r.glibc[1]]])),
  'provided.al2023': [2, 34],
  'provided.al2': [2, 26],
};
const RUNTIME_IDS = Object.keys(RUNTIME_GLIBC) as [string, ...string[]];

/** Repository folder content is carried inside the target (Plan to Build through the artifact store): keep it small. */
export const MAX_FOLDER_BYTES = 20 * 1024 * 1024;

const layerPath = z
  .string()
  .refine((value) => value === '' || (!value.startsWith('/') && value.split('/').every((part) => part !== '' && part !== '.' && part !== '..')), {
    message: 'to is a relative folder of the layer such as bin, lib or share/data (no leading /, no . or .. parts)',
  })
  .default('')
  .describe('Folder of the layer (of /opt) the content goes under: bin is on PATH, lib on LD_LIBRARY_PATH');

const folderSource = z
  .strictObject({
    folder: z.string().min(1).describe('A folder of the repository, relative to the catalog file; its content is laid under `to`'),
    to: layerPath,
  })
  .describe('A repository folder');

const archiveSource = z
  .strictObject({
    url: z.url().describe('An archive to download: .tar.gz/.tgz, .tar.xz/.txz or .zip'),
    sha256: z.string().optional().describe('Required: the archive\'s sha256 (64 hex digits); the build fails without it'),
    to: layerPath,
    strip: z.number().int().min(0).max(10).optional().describe('Leading path components to drop, as tar --strip-components'),
  })
  .describe('An archive by URL, checked by its sha256');

/** A `files` catalog entry: one layer of plain files from repository folders and verified archives. */
export const filesEntrySchema = z
  .object({
    name: entryNameField('Entry name; the layer is <prefix>-<name>'),
    kind: z.literal('files'),
    sources: z.array(z.union([folderSource, archiveSource])).min(1, 'list at least one source: { folder: path, to: bin } or { url, sha256, to }'),
    architectures: z
      .array(z.enum(ARCHITECTURES, { error: 'architecture must be x86_64 or arm64' }))
      .min(1)
      .default(['x86_64', 'arm64'])
      .describe('CompatibleArchitectures; a layer holding native files lists exactly the one they are built for'),
    runtimes: z
      .array(z.enum(RUNTIME_IDS, { error: `runtime must be one of ${RUNTIME_IDS.join(', ')}` }))
      .max(15)
      .optional()
      .describe('CompatibleRuntimes; native files must fit the glibc of the oldest one listed'),
    description: z.string().max(256).optional(),
  })
  .strict();

export type FilesEntry = z.output<typeof filesEntrySchema>;

interface FilesSpec {
  sources: Array<{ folder: string; to: string } | { url: string; sha256?: string; to: string; strip?: number }>;
  catalogDir?: string;
}

interface FolderFile {
  path: string;
  mode: number;
  sha256: string;
  base64: string;
}

type ResolvedSource =
  | { type: 'folder'; folder: string; to: string; files: FolderFile[] }
  | { type: 'archive'; url: string; sha256: string; format: ArchiveFormat; to: string; strip: number };

interface FilesInputs {
  sources: ResolvedSource[];
}

function labelOf(target: LayerTarget): string {
  return `files layer ${target.layerName}`;
}

async function readFolder(root: string, label: string): Promise<FolderFile[]> {
  const files: FolderFile[] = [];
  let total = 0;
  async function walk(dir: string): Promise<void> {
    for (const entry of (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const absolute = path.join(dir, entry.name);
      const rel = path.relative(root, absolute).split(path.sep).join('/');
      if (entry.isSymbolicLink()) throw new BuildError(`${label}: ${rel} is a link; a layer holds no links: put the file itself in the folder`);
      if (entry.isDirectory()) await walk(absolute);
      else if (entry.isFile()) {
        const data = await fs.readFile(absolute);
        const stat = await fs.stat(absolute);
        total += data.length;
        if (total > MAX_FOLDER_BYTES) {
          throw new BuildError(`${label}: the folder holds more than ${formatBytes(MAX_FOLDER_BYTES)}; publish big content as an archive by URL with its sha256 instead`);
        }
        files.push({ path: rel, mode: stat.mode & 0o111 ? 0o755 : 0o644, sha256: createHash('sha256').update(data).digest('hex'), base64: data.toString('base64') });
      }
    }
  }
  await walk(root);
  return files;
}

/**
 * Checks the layer's native files: they must be built for its one architecture (a layer listing both may hold
 * none) and need no newer glibc than the oldest of its runtimes. Returns how many there are.
 */
async function checkNative(rootDir: string, target: LayerTarget, architecture?: Architecture): Promise<number> {
  const label = labelOf(target);
  const architectures = architecture ? [architecture] : (target.architectures as Architecture[]);
  const oldest = target.runtimes
    .map((runtime) => RUNTIME_GLIBC[runtime])
    .filter(Boolean)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])[0];
  if (architectures.length > 1) {
    const files = await findNativeFiles(rootDir);
    if (files.length > 0) {
      throw new BuildError(
        `${label}: holds native files (${files.slice(0, 3).map((f) => `${f.file}: ${f.machine}`).join(', ')}) but lists ${architectures.join(' and ')}; list only the architecture they are built for, one entry per architecture`,
      );
    }
    return 0;
  }
  const native: NativeTarget = {
    architecture: architectures[0],
    // Without runtimes there is no glibc to hold the files to; the architecture still is.
    glibc: oldest ?? [99, 0],
    runtime: oldest ? `${target.runtimes.join(', ')} (glibc ${glibcText(oldest)})` : 'any runtime',
  };
  const files = await assertNativeFilesFit(rootDir, native, label, 'Use a build for this architecture and glibc, or change the architectures/runtimes of the entry');
  return files.length;
}

/**
 * The `files` layer kind: plain files (a static binary in bin/, shared libraries in lib/, data) from repository
 * folders and from archives by URL, each archive checked by its sha256 and extracted safely, modes kept.
 */
export const filesKind: LayerKind<FilesEntry> = {
  kind: 'files',
  entrySchema: filesEntrySchema as unknown as z.ZodType<FilesEntry>,

  expand(entry: FilesEntry, settings: KindSettings): LayerTarget[] {
    const spec: FilesSpec = { sources: entry.sources, ...(settings.catalogDir ? { catalogDir: settings.catalogDir } : {}) };
    return [
      {
        entry: entry.name,
        kind: 'files',
        layerName: `${settings.prefix}-${entry.name}`,
        runtimes: entry.runtimes ?? [],
        architectures: entry.architectures,
        description: entry.description ?? `files: ${entry.sources.map((s) => ('folder' in s ? s.folder : new URL(s.url).pathname.split('/').pop())).join(', ')}`.slice(0, 256),
        spec: { ...spec },
      },
    ];
  },

  async resolve(target: LayerTarget, ctx: KindContext): Promise<ResolvedTarget> {
    const spec = target.spec as unknown as FilesSpec;
    const label = labelOf(target);
    const sources: ResolvedSource[] = [];
    for (const [index, source] of spec.sources.entries()) {
      const where = `${label}: sources[${index}]`;
      if ('folder' in source) {
        const dir = path.resolve(spec.catalogDir ?? '.', source.folder);
        const stat = await fs.stat(dir).catch(() => undefined);
        if (!stat?.isDirectory()) throw new BuildError(`${where}: folder ${source.folder} does not exist beside the catalog (${dir}); give a folder relative to the catalog file`);
        sources.push({ type: 'folder', folder: source.folder, to: source.to, files: await readFolder(dir, where) });
      } else {
        if (!source.sha256) {
          throw new BuildError(`${where}: ${source.url} has no sha256; lamina downloads only what it can verify: add sha256 (sha256sum of the archive) to this source`);
        }
        if (!/^[0-9a-fA-F]{64}$/.test(source.sha256)) throw new BuildError(`${where}: sha256 ${JSON.stringify(source.sha256)} of ${source.url} is not 64 hex digits`);
        const format = archiveFormatOf(new URL(source.url).pathname);
        if (!format) throw new BuildError(`${where}: ${source.url} is not a .tar.gz, .tgz, .tar.xz, .txz or .zip; lamina extracts only those`);
        sources.push({ type: 'archive', url: source.url, sha256: source.sha256.toLowerCase(), format, to: source.to, strip: source.strip ?? 0 });
      }
    }
    ctx.log(`${label}: ${sources.length} source(s)`);
    return { ...target, inputs: { sources } satisfies FilesInputs };
  },

  async build(target: ResolvedTarget, ctx: KindContext): Promise<BuiltLayer> {
    const label = labelOf(target);
    const { sources } = target.inputs as FilesInputs;
    const rootDir = path.join(ctx.workDir, 'layer');
    await fs.rm(rootDir, { recursive: true, force: true });
    await fs.mkdir(rootDir, { recursive: true });
    const manifest: Array<Record<string, unknown>> = [];
    for (const [index, source] of sources.entries()) {
      const dest = resolveInside(rootDir, source.to || '.', label);
      await fs.mkdir(dest, { recursive: true });
      if (source.type === 'folder') {
        for (const file of source.files) {
          const data = Buffer.from(file.base64, 'base64');
          if (createHash('sha256').update(data).digest('hex') !== file.sha256) throw new BuildError(`${label}: ${source.folder}/${file.path} changed between Plan and Build; run again`);
          const out = resolveInside(dest, file.path, label);
          await fs.mkdir(path.dirname(out), { recursive: true });
          await fs.writeFile(out, data, { mode: file.mode });
          await fs.chmod(out, file.mode);
        }
        manifest.push({ folder: source.folder, to: source.to, files: source.files.length });
      } else {
        let archive: string;
        try {
          archive = await downloadVerified(source.url, sha256Integrity(source.sha256), path.join(ctx.cacheDir, 'files'), ctx.log);
        } catch (error) {
          throw new BuildError(`${label}: sources[${index}]: ${(error as Error).message}; check the url and its sha256 in the catalog`);
        }
        const staging = path.join(ctx.workDir, `source-${index}`);
        await fs.rm(staging, { recursive: true, force: true });
        const written = await extractArchive(archive, staging, { format: source.format, strip: source.strip, label: `${label}: ${path.basename(new URL(source.url).pathname)}` });
        await fs.cp(staging, dest, { recursive: true, force: true, verbatimSymlinks: true });
        await fs.rm(staging, { recursive: true, force: true });
        manifest.push({ url: source.url, sha256: source.sha256, to: source.to, entries: written.length });
      }
    }
    const native = await checkNative(rootDir, target);
    const unzippedBytes = await directorySize(rootDir);
    ctx.log(`${label}: laid out ${formatBytes(unzippedBytes)}, ${native} native file(s) checked`);
    return { rootDir, description: target.description, manifest: { sources: manifest, unzippedBytes, nativeFiles: native } };
  },

  verify: {
    // Plain files run on whatever runtime uses them: proven for each architecture on the newest provided runtime.
    targets: (target) =>
      target.architectures.map((architecture) => ({ runtime: target.runtimes[0] ?? PROVIDED_RUNTIMES[0], architecture: architecture as Architecture })),
    async run(target: ResolvedTarget, layerDir: string, ctx: VerifyContext): Promise<VerifyReport> {
      const count = await checkNative(layerDir, target, ctx.env.architecture);
      return { summary: `${count} native file(s) fit ${ctx.env.architecture}; content laid out as the catalog says` };
    },
  },
};
