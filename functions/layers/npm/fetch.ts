import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as pacote from 'pacote';
import { mapLimit } from '../../shared/handler-runtime';
import { resolveInside } from '../../archive/safe-path';
import { BuildError } from '../kind';
import { explainRegistryError, type NpmTarget, type TreePackage } from './tree';

/**
 * Downloads every package of a resolved tree and lays it out where npm would (`<root>/<location>`), each tarball
 * checked against its integrity by pacote (ssri) before a byte of it is written. No script of any package runs;
 * no `.bin` links are made (a layer holds no links). This is the `tree` layout: the streamed one
 * (tarball-layout.ts, the default) gives the same zip without writing the tree, and is tested against this.
 */
export async function fetchTree(packages: TreePackage[], root: string, target: NpmTarget, label: string, concurrency = 8): Promise<void> {
  // Parents first, so that a nested package's folder is not created before its parent's extraction clears it.
  const depth = (p: TreePackage) => p.location.split('/node_modules/').length;
  const byDepth = new Map<number, TreePackage[]>();
  for (const p of packages) byDepth.set(depth(p), [...(byDepth.get(depth(p)) ?? []), p]);
  for (const level of [...byDepth.keys()].sort((a, b) => a - b)) {
    await mapLimit(byDepth.get(level)!, concurrency, async (p) => {
      const dest = resolveInside(root, p.location, label);
      try {
        await pacote.extract(`${p.name}@${p.resolved}`, dest, {
          registry: target.registry,
          cache: target.cache,
          integrity: p.integrity,
          resolved: p.resolved,
          // npm's own modes: files 0644 (0755 when executable), folders 0755.
          umask: 0o022,
          fmode: 0o666,
          dmode: 0o777,
        } as pacote.Options);
      } catch (error) {
        explainRegistryError(error, `${label}: ${p.name}@${p.version} (${p.resolved})`, target);
      }
      const manifest = JSON.parse(await fs.readFile(path.join(dest, 'package.json'), 'utf8').catch(() => '{}')) as { name?: string; version?: string };
      if (manifest.name !== p.name || manifest.version !== p.version) {
        throw new BuildError(`${label}: the tarball ${p.resolved} holds ${manifest.name}@${manifest.version}, not ${p.name}@${p.version}; the registry serves a wrong file, nothing was built`);
      }
    });
  }
}
