import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseCatalog, expandCatalog } from '../../functions/catalog/catalog';

describe('examples/npm.catalog.yaml and the demo catalog', () => {
  test('every npm entry is valid and expands to one readable layer per runtime x architecture, no network needed', async () => {
    const file = path.join(__dirname, '../../examples/npm.catalog.yaml');
    const catalog = parseCatalog(await fs.readFile(file, 'utf8'), file);
    expect(catalog.layers.every((entry) => entry.kind === 'npm')).toBe(true);
    expect(catalog.layers.map((e) => e.name)).toEqual(expect.arrayContaining(['express', 'sharp', 'axios', 'pg', 'zod', 'date-fns', 'aws-sdk-s3']));
    const targets = expandCatalog(catalog);
    expect(new Set(targets.map((t) => t.layerName)).size).toBe(targets.length);
    expect(targets.every((t) => /^[a-zA-Z0-9_-]{1,140}$/.test(t.layerName) && t.description.length <= 256)).toBe(true);
    expect(targets.filter((t) => t.entry === 'sharp').map((t) => t.layerName)).toEqual(
      ['20', '22', '24'].flatMap((major) => [`lamina-node${major}-x86_64-sharp`, `lamina-node${major}-arm64-sharp`]),
    );
  });

  test('the demo catalog has an npm layer for nodejs22.x and a Node.js 22 runtime layer, both from the npm registry', async () => {
    const file = path.join(__dirname, '../../catalog.yaml');
    const catalog = parseCatalog(await fs.readFile(file, 'utf8'), file);
    const targets = expandCatalog(catalog);
    const npm = targets.find((t) => t.kind === 'npm')!;
    expect(npm).toMatchObject({ runtimes: ['nodejs22.x'], architectures: ['x86_64'] });
    expect((npm.spec as { registry: string }).registry).toBe('https://registry.npmjs.org');
    const node22 = targets.find((t) => t.kind === 'node-runtime' && (t.spec as { version: string }).version === '22')!;
    expect(node22).toMatchObject({ architectures: ['x86_64'], spec: { source: 'npm' } });
  });
});
