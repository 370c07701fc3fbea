import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { digestOf } from '../../archive/digest';
import { invokeFunction } from '../../runtime-api/invoke';
import {
  NotVerifiableError,
  VerificationError,
  type BuiltLayer,
  type KindContext,
  type KindSettings,
  type LayerKind,
  type LayerTarget,
  type ResolvedTarget,
  type VerifyContext,
  type VerifyReport,
} from '../kind';
import { BASH_BOOTSTRAP } from './bootstrap';
import { entryNameField } from '../entry-fields';

/** Custom runtimes a bootstrap layer is compatible with. */
export const PROVIDED_RUNTIMES = ['provided.al2023', 'provided.al2'];

export const bashRuntimeEntrySchema = z
  .object({
    name: entryNameField('Entry name; the layer is <prefix>-<name>'),
    kind: z.literal('bash-runtime'),
    description: z.string().max(256).optional(),
  })
  .strict();

export type BashRuntimeEntry = z.infer<typeof bashRuntimeEntrySchema>;

/** The handler of the AWS tutorial (`function.sh`), used to check a built layer before it is published. */
export const TUTORIAL_FUNCTION = `function handler () {
  EVENT_DATA=$1
  echo "$EVENT_DATA" 1>&2;
  RESPONSE="Echoing request: '$EVENT_DATA'"

  echo $RESPONSE
}
`;

/** Whether a program is on this machine's PATH. */
export function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, program)));
}

const DEFAULT_DESCRIPTION = 'Bash custom runtime (the AWS tutorial runtime, with error reporting); handler file.function';

/** The `bash-runtime` layer kind: one architecture-independent layer holding the Bash runtime's `bootstrap`. */
export const bashRuntimeKind: LayerKind<BashRuntimeEntry> = {
  kind: 'bash-runtime',
  entrySchema: bashRuntimeEntrySchema,

  expand(entry: BashRuntimeEntry, settings: KindSettings): LayerTarget[] {
    return [
      {
        entry: entry.name,
        kind: 'bash-runtime',
        layerName: `${settings.prefix}-${entry.name}`,
        runtimes: [...PROVIDED_RUNTIMES],
        // A shell script runs on either architecture; curl and bash come with both provided.* images.
        architectures: ['x86_64', 'arm64'],
        description: entry.description ?? DEFAULT_DESCRIPTION,
        spec: {},
      },
    ];
  },

  async resolve(target: LayerTarget): Promise<ResolvedTarget> {
    // The bootstrap is the whole content: a changed bootstrap is a new layer.
    return { ...target, inputs: { bootstrapSha256: digestOf(Buffer.from(BASH_BOOTSTRAP)).sha256 } };
  },

  async build(target: ResolvedTarget, ctx: KindContext): Promise<BuiltLayer> {
    const rootDir = path.join(ctx.workDir, 'layer');
    await fs.mkdir(rootDir, { recursive: true });
    const bootstrap = path.join(rootDir, 'bootstrap');
    await fs.writeFile(bootstrap, BASH_BOOTSTRAP, { mode: 0o755 });
    await fs.chmod(bootstrap, 0o755);
    ctx.log('bootstrap written');
    return { rootDir, description: target.description, manifest: target.inputs };
  },

  verify: {
    // A custom runtime layer is proven on the newest provided runtime of each architecture it declares.
    targets: (target) => target.architectures.map((architecture) => ({ runtime: PROVIDED_RUNTIMES[0], architecture })),
    async run(target: ResolvedTarget, layerDir: string, ctx: VerifyContext): Promise<VerifyReport> {
      if (ctx.env.emulator.length > 0) {
        throw new NotVerifiableError(`the bootstrap is a bash script that needs ${ctx.env.architecture} bash and curl, and this machine has neither (${ctx.env.description})`);
      }
      const missing = ['bash', 'curl'].filter((program) => !onPath(program));
      if (missing.length > 0) throw new NotVerifiableError(`this machine has no ${missing.join(' or ')} to run the bootstrap with`);
      const code = path.join(ctx.workDir, 'verify-function');
      await fs.mkdir(code, { recursive: true });
      await fs.writeFile(path.join(code, 'function.sh'), TUTORIAL_FUNCTION);
      const event = { text: 'Hello' };
      const report = await invokeFunction({ layers: [layerDir], code, handler: 'function.handler', events: [event], timeoutSeconds: 10, workDir: ctx.workDir });
      const result = report.results[0];
      const expected = `Echoing request: '${JSON.stringify(event)}'`;
      if (!result.ok || result.payload !== expected) {
        throw new VerificationError(
          'bootstrap',
          `${target.layerName}: the tutorial function answered ${JSON.stringify(result.ok ? result.payload : result.error)} through the bootstrap, expected ${JSON.stringify(expected)}; logs:\n${report.logs}`,
        );
      }
      return { summary: 'the tutorial function answered through the bootstrap and the local Runtime API' };
    },
  },
};
