/**
 * One npm layer build as the pipeline's Build task does it, in a process of its own (bench:npm runs it bundled,
 * so nothing is transpiled): the kind lays out the resolved target (`--layout streamed` or `tree`), the layer zip
 * is written. Prints the zip's sha256 and sizes as JSON.
 *
 *   node npm-build.cjs <target.json> <streamed|tree> <work folder>
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { zipBuiltLayer } from '../functions/archive/deterministic-zip';
import type { ResolvedTarget } from '../functions/layers/kind';
import { createNpmKind } from '../functions/layers/npm/kind';

async function main(): Promise<void> {
  const [targetFile, layout, work] = process.argv.slice(2);
  if (!targetFile || (layout !== 'streamed' && layout !== 'tree') || !work) {
    console.error('usage: npm-build <target.json> <streamed|tree> <work folder>');
    process.exit(2);
  }
  const target = JSON.parse(await fs.readFile(targetFile, 'utf8')) as ResolvedTarget;
  const ctx = { workDir: path.join(work, 'build'), cacheDir: path.join(work, 'cache'), log: () => undefined };
  await fs.mkdir(ctx.workDir, { recursive: true });
  const built = await createNpmKind({ layout }).build(target, ctx);
  const zip = await zipBuiltLayer(built, path.join(work, 'layer.zip'));
  console.log(JSON.stringify({ sha256: zip.sha256, size: zip.size, unzippedSize: zip.unzippedSize, entries: zip.entries }));
}

main().catch((error: unknown) => {
  console.error((error as Error).stack ?? String(error));
  process.exit(1);
});
