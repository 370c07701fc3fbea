import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFixtureIndex } from './support/fixture-index';
import { startIndexServer } from './support/index-server';
import { UNIVERSE } from './support/universe';
import { pipChoose } from './support/pip';
async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lamina-py-'));
  const index = await writeFixtureIndex(dir, UNIVERSE);
  const server = await startIndexServer(index);
  const t = Date.now();
  try { console.log(await pipChoose(server.url, process.argv[2], process.argv[3] as any, process.argv.slice(4))); } catch (e) { console.log((e as Error).message); }
  console.log(Date.now() - t, 'ms');
  await server.close();
}
main();
