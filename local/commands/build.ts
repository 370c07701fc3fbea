import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { expandCatalog, loadCatalog } from '../../functions/catalog/catalog';
import { packageLayer } from '../../functions/build/build';
import type { BuiltLayer } from '../../functions/layers/kind';
import { kindNamed } from '../../functions/layers/kinds';
import { hostEnvironment } from '../../functions/verify/environments';
import { EXIT, UsageError, type Command } from './command';
import { DEFAULT_CATALOG, DEFAULT_STATE_DIR, formatTable, parseOptions } from './options';

/**
 * Writes what the pipeline stores beside a zip (the kind's manifest, and its attachments such as the CycloneDX
 * SBOM) beside the zip in the output folder: `<layer>.manifest.json`, `<layer>.cdx.json`. Returns the files written.
 */
async function writeBesideZip(zipFile: string, built: BuiltLayer): Promise<string[]> {
  const base = zipFile.replace(/\.zip$/, '');
  const files: Array<[string, string]> = [];
  if (built.manifest !== undefined) files.push([`${base}.manifest.json`, `${JSON.stringify(built.manifest, null, 2)}\n`]);
  // The artifact store names the SBOM `sbom.cdx.json` inside the layer's folder; beside a zip the layer names it.
  for (const [name, body] of Object.entries(built.attachments ?? {})) files.push([`${base}.${name.replace(/^sbom\./, '')}`, body]);
  for (const [file, body] of files) await writeFile(file, body);
  return files.map(([file]) => file);
}

export const buildCommand: Command = {
  async run(args) {
    const { values, positionals } = parseOptions(
      args,
      {
        catalog: { type: 'string', default: DEFAULT_CATALOG },
        out: { type: 'string', default: 'dist' },
        state: { type: 'string', default: DEFAULT_STATE_DIR },
        // The zip as built, without proving it on its runtime (no bytecode either): for a quick look or a benchmark.
        'no-verify': { type: 'boolean', default: false },
      },
      true,
    );
    const catalog = await loadCatalog(path.resolve(values.catalog!));
    const names = catalog.layers.map((entry) => entry.name);
    if (positionals.length !== 1) throw new UsageError(`name one catalog entry to build; the catalog has: ${names.join(', ')}`);
    const [entry] = positionals;
    if (!names.includes(entry)) throw new UsageError(`${catalog.file} has no layer named ${entry}; its layers are: ${names.join(', ')}`);
    const rows: string[][] = [];
    const verified: string[][] = [];
    for (const target of expandCatalog(catalog, [entry])) {
      const log = (message: string) => console.error(`  ${target.layerName}: ${message}`);
      const workDir = await mkdtemp(path.join(tmpdir(), 'lamina-build-'));
      try {
        const ctx = { workDir, cacheDir: path.resolve(values.state!, 'cache'), log };
        const resolved = await kindNamed(target.kind).resolve(target, ctx);
        const zipFile = path.resolve(values.out!, `${target.layerName}.zip`);
        const { zip, built, verifications } = await packageLayer(resolved, {
          ...ctx,
          workDir: path.join(workDir, 'build'),
          zipFile,
          verify: values['no-verify'] ? undefined : {
            environmentOf: (check) => hostEnvironment(check, { cacheDir: ctx.cacheDir, npmRegistryUrl: catalog.settings.npmRegistryUrl, log }),
            publishUnverified: catalog.settings.publishUnverified,
          },
        });
        const beside = await writeBesideZip(zipFile, built);
        if (beside.length > 0) log(`wrote ${beside.map((file) => path.relative(process.cwd(), file)).join(', ')} beside the zip`);
        rows.push([path.relative(process.cwd(), zipFile), String(zip.size), String(zip.unzippedSize), zip.sha256, built.description]);
        for (const v of verifications) verified.push([target.layerName, `${v.runtime} ${v.architecture}`, v.status, v.status === 'verified' ? v.how : v.status === 'failed' ? `${v.subject}: ${v.error?.split('\n')[0]}` : (v.reason ?? '')]);
      } finally {
        await rm(workDir, { recursive: true, force: true });
      }
    }
    console.log(formatTable(['ZIP', 'BYTES', 'UNZIPPED', 'SHA256', 'DESCRIPTION'], rows));
    console.log('');
    console.log(formatTable(['LAYER', 'TARGET', 'VERIFIED', 'HOW'], verified));
    return EXIT.ok;
  },
};
