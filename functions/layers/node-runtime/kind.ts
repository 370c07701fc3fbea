import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { invokeFunction } from '../../runtime-api/invoke';
import { digestOf } from '../../archive/digest';
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
  VerificationError,
} from '../kind';
import { PROVIDED_RUNTIMES } from '../bash-runtime/kind';
import { entryNameField } from '../entry-fields';
import { NODE_BOOTSTRAP, NODE_RUNTIME_DIR } from './bootstrap';
import { downloadVerified } from './download';
import { extractTar } from '../../archive/extract-tar';
import { NODE_ARCH, resolveNodeRelease, type NodeRelease, type NodeSource } from './releases';
import { NODE_RUNTIME_CLIENT } from './runtime-client';

export const nodeRuntimeEntrySchema = z
  .object({
    name: entryNameField('Entry name; layers are named <prefix>-<name>-arm64'),
    kind: z.literal('node-runtime'),
    version: z.string().regex(/^\d+(\.\d+\.\d+)?$/, 'an exact version like 12.16.1 or a major line like 22'),
    architectures: z.array(z.enum(ARCHITECTURES)).min(1).default(['x86_64', 'arm64']),
    source: z.enum(['npm', 'dist']).default('npm'),
    description: z.string().max(256).optional(),
  })
  .strict();

export type NodeRuntimeEntry = z.infer<typeof nodeRuntimeEntrySchema>;

/** What a node-runtime target carries from Plan to Build (plain JSON). */
interface NodeRuntimeSpec {
  version: string;
  architecture: Architecture;
  source: NodeSource;
  npmRegistryUrl?: string;
  nodeDistUrl?: string;
}

/** What Resolve pins; hashed by Plan, so a new client, bootstrap or archive means a new layer. */
interface NodeRuntimeInputs {
  release: NodeRelease;
  architecture: Architecture;
  runtimeClientSha256: string;
  bootstrapSha256: string;
}

/** Files of the Node.js archive (after its top folder) that a runtime needs; headers, docs and npm are dropped. */
const KEPT_FILES = new Set(['bin/node', 'LICENSE']);

function specOf(target: LayerTarget): NodeRuntimeSpec {
  return target.spec as unknown as NodeRuntimeSpec;
}

function inputsOf(target: ResolvedTarget): NodeRuntimeInputs {
  return target.inputs as NodeRuntimeInputs;
}

/**
 * The `node-runtime` layer kind: a pinned Node.js (exact version or newest of a line) for one architecture, as a
 * custom runtime: `bootstrap` at the root, `node-runtime/bin/node`, its LICENSE and lamina's runtime client beside it.
 */
export const nodeRuntimeKind: LayerKind<NodeRuntimeEntry> = {
  kind: 'node-runtime',
  // The schema's defaults make its input type looser than NodeRuntimeEntry; the parsed output is exactly that.
  entrySchema: nodeRuntimeEntrySchema as unknown as z.ZodType<NodeRuntimeEntry>,

  expand(entry: NodeRuntimeEntry, settings: KindSettings): LayerTarget[] {
    return entry.architectures.map((architecture) => {
      const spec: NodeRuntimeSpec = { version: entry.version, architecture, source: entry.source };
      if (entry.source === 'npm' && settings.npmRegistryUrl) spec.npmRegistryUrl = settings.npmRegistryUrl;
      if (entry.source === 'dist' && settings.nodeDistUrl) spec.nodeDistUrl = settings.nodeDistUrl;
      return {
        entry: entry.name,
        kind: 'node-runtime',
        layerName: `${settings.prefix}-${entry.name}-${architecture}`,
        runtimes: [...PROVIDED_RUNTIMES],
        architectures: [architecture],
        description: entry.description ?? `Node.js ${entry.version} custom runtime (${architecture})`,
        spec: { ...spec },
      };
    });
  },

  async resolve(target: LayerTarget, ctx: KindContext): Promise<ResolvedTarget> {
    const spec = specOf(target);
    const release = await resolveNodeRelease(spec.source, spec.version, spec.architecture, spec);
    ctx.log(`Node.js ${spec.version} → ${release.version} from ${release.url}`);
    const inputs: NodeRuntimeInputs = {
      release,
      architecture: spec.architecture,
      runtimeClientSha256: digestOf(Buffer.from(NODE_RUNTIME_CLIENT)).sha256,
      bootstrapSha256: digestOf(Buffer.from(NODE_BOOTSTRAP)).sha256,
    };
    const description =
      target.description === `Node.js ${spec.version} custom runtime (${spec.architecture})`
        ? `Node.js ${release.version} custom runtime (${spec.architecture}, ${release.source === 'npm' ? 'npm registry' : 'nodejs.org dist'}); handler file.export`
        : target.description;
    return { ...target, description, inputs, packageVersion: release.version };
  },

  async build(target: ResolvedTarget, ctx: KindContext): Promise<BuiltLayer> {
    const { release, architecture } = inputsOf(target);
    const archive = await downloadVerified(release.url, release.integrity, path.join(ctx.cacheDir, 'node-runtime'), ctx.log);
    const extracted = path.join(ctx.workDir, 'node-archive');
    await fs.rm(extracted, { recursive: true, force: true });
    const written = await extractTar(archive, extracted, {
      label: path.basename(new URL(release.url).pathname),
      strip: release.strip,
      keep: (name) => KEPT_FILES.has(name) || name === 'bin',
    });
    for (const needed of KEPT_FILES) {
      if (!written.includes(needed)) {
        throw new BuildError(`${target.layerName}: ${release.url} has no ${needed}; it is not a Node.js Linux ${NODE_ARCH[architecture]} archive`);
      }
    }
    const rootDir = path.join(ctx.workDir, 'layer');
    const runtimeDir = path.join(rootDir, NODE_RUNTIME_DIR);
    await fs.rm(rootDir, { recursive: true, force: true });
    await fs.mkdir(path.join(runtimeDir, 'bin'), { recursive: true });
    await fs.copyFile(path.join(extracted, 'bin', 'node'), path.join(runtimeDir, 'bin', 'node'));
    await fs.chmod(path.join(runtimeDir, 'bin', 'node'), 0o755);
    await fs.copyFile(path.join(extracted, 'LICENSE'), path.join(runtimeDir, 'LICENSE'));
    await fs.writeFile(path.join(runtimeDir, 'runtime.js'), NODE_RUNTIME_CLIENT, { mode: 0o644 });
    await fs.writeFile(path.join(rootDir, 'bootstrap'), NODE_BOOTSTRAP, { mode: 0o755 });
    await fs.chmod(path.join(rootDir, 'bootstrap'), 0o755);
    await fs.rm(extracted, { recursive: true, force: true });
    ctx.log(`Node.js ${release.version} ${architecture} laid out`);
    return {
      rootDir,
      description: target.description,
      licenseInfo: 'MIT (Node.js; see node-runtime/LICENSE for bundled components)',
      packageVersion: release.version,
      manifest: { node: release.version, source: release.source, url: release.url, integrity: release.integrity },
    };
  },

  verify: {
    targets: (target) => target.architectures.map((architecture) => ({ runtime: PROVIDED_RUNTIMES[0], architecture })),
    async run(target: ResolvedTarget, layerDir: string, ctx: VerifyContext): Promise<VerifyReport> {
      const { release } = inputsOf(target);
      const code = path.join(ctx.workDir, 'verify-function');
      await fs.mkdir(code, { recursive: true });
      await fs.writeFile(
        path.join(code, 'index.js'),
        "exports.handler = async (event, context) => ({ version: process.version, arch: process.arch, echo: event, requestId: context.awsRequestId });\n",
      );
      const { emulator } = ctx.env;
      const report = await invokeFunction({
        layers: [layerDir],
        code,
        handler: 'index.handler',
        events: [{ verify: true }],
        timeoutSeconds: 60,
        workDir: ctx.workDir,
        // Emulated, the layer's node is started through qemu as the bootstrap would start it (no binfmt here).
        command:
          emulator.length > 0
            ? ({ opt }) => [...emulator, path.join(opt, NODE_RUNTIME_DIR, 'bin', 'node'), path.join(opt, NODE_RUNTIME_DIR, 'runtime.js')]
            : undefined,
      });
      const result = report.results[0];
      const response = result.ok ? (result.response as { version?: string; arch?: string; echo?: unknown }) : undefined;
      const arch = ctx.env.architecture === 'arm64' ? 'arm64' : 'x64';
      if (!result.ok || response?.version !== `v${release.version}` || response.arch !== arch || JSON.stringify(response?.echo) !== '{"verify":true}') {
        throw new VerificationError(
          'bootstrap',
          `${target.layerName}: expected Node.js v${release.version} ${arch} to answer, got ${JSON.stringify(result.ok ? result.response : result.error)}; logs:\n${report.logs}`,
        );
      }
      return { summary: `Node.js ${response.version} ${response.arch} answered a function through ${emulator.length > 0 ? 'its node under qemu' : 'the bootstrap'} and the local Runtime API` };
    },
  },
};
