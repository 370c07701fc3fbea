import { execSync } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseCatalog } from '../../functions/catalog/catalog';
import { repositoryPaths } from '../../infra/catalog-paths';
import { copyCommand } from '../../infra/functions';

describe('repository paths the deployed Plan carries beside its catalog', () => {
  const catalog = (layers: string) => parseCatalog(`layers:\n${layers}`, 'catalog.yaml');

  it('lists npm lockfiles and files folders, once each, and refuses paths outside the catalog folder', () => {
    const paths = repositoryPaths(
      catalog(`  - { name: app, kind: npm, lockfile: app/package-lock.json, runtimes: [nodejs22.x], architectures: [x86_64] }
  - { name: web, kind: npm, packages: [express], runtimes: [nodejs22.x], architectures: [x86_64] }
  - { name: conf, kind: files, sources: [{ folder: layers/conf, to: etc }, { folder: ./layers/conf/, to: etc2 }, { url: "https://example.com/a.zip", sha256: "${'0'.repeat(64)}" }] }
  - { name: bash, kind: bash-runtime }
`),
    );
    expect(paths).toEqual(['app/package-lock.json', 'layers/conf']);
    expect(() => repositoryPaths(catalog('  - { name: up, kind: files, sources: [{ folder: ../secrets }] }\n'))).toThrow(/\.\.\/secrets is outside the catalog's folder/);
  });

  it('copies files and folders to nested places of the bundle', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lamina-copy-'));
    try {
      await fs.mkdir(path.join(dir, 'repo/layers/conf/sub'), { recursive: true });
      await fs.writeFile(path.join(dir, 'repo/layers/conf/sub/a.json'), '{}');
      await fs.mkdir(path.join(dir, 'repo/app'), { recursive: true });
      await fs.writeFile(path.join(dir, 'repo/app/package-lock.json'), '{}');
      for (const rel of ['app/package-lock.json', 'layers/conf']) execSync(copyCommand(path.join(dir, 'repo', rel), path.join(dir, 'bundle', rel)));
      expect(existsSync(path.join(dir, 'bundle/app/package-lock.json'))).toBe(true);
      expect(existsSync(path.join(dir, 'bundle/layers/conf/sub/a.json'))).toBe(true);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
