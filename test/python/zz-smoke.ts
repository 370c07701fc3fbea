import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFixtureIndex } from './support/fixture-index';
import { startIndexServer } from './support/index-server';
import { UNIVERSE } from './support/universe';
import { pythonKind } from '../../functions/python/kind';
async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lamina-py-'));
  const t0 = Date.now();
  const index = await writeFixtureIndex(dir, UNIVERSE);
  console.log('generated in', Date.now() - t0, dir);
  const server = await startIndexServer(index);
  const entry = pythonKind.entrySchema.parse({ name: 'requests', kind: 'python', requirements: process.argv.slice(2), runtimes: ['python3.11','python3.12'], architectures: ['x86_64', 'arm64'], index: server.url });
  for (const target of pythonKind.expand(entry, { prefix: 'lamina' })) {
    const ctx = { workDir: path.join(dir, 'work', target.layerName), cacheDir: path.join(dir, 'cache'), log: (m: string) => console.log('  log', m) };
    try {
      const resolved = await pythonKind.resolve(target, ctx);
      console.log(target.layerName, resolved.packageVersion);
      const built = await pythonKind.build(resolved, ctx);
      console.log(built.description, '|', built.licenseInfo);
    } catch (e) { console.log(target.layerName, 'ERR', (e as Error).message); }
  }
  await server.close();
}
main();
