import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { zipBuiltLayer } from '../../functions/archive/deterministic-zip';
import type { Architecture, LayerTarget } from '../../functions/layers/kind';
import { createNpmKind, npmKind, type NpmEntry } from '../../functions/layers/npm/kind';
import { DEFAULT_NPM_REGISTRY_URL } from '../../functions/layers/node-runtime/releases';

// lamina's resolved tree against what real npm installs for the same specs and target, on the real registry.
// Both sides share caches kept between runs under the OS temp folder, so a second run fetches little.
const REGISTRY = `${(process.env.LAMINA_TEST_NPM_REGISTRY ?? DEFAULT_NPM_REGISTRY_URL).replace(/\/+$/, '')}/`;
const CACHE = path.join(os.tmpdir(), 'lamina-test-cache');
const run = promisify(execFile);

function registryReachable(): boolean {
  const probe = spawnSync(
    process.execPath,
    ['-e', `fetch(${JSON.stringify(`${REGISTRY}express`)}, { method: 'HEAD', signal: AbortSignal.timeout(8000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
    { timeout: 10000 },
  );
  return probe.status === 0;
}
const npmVersion = spawnSync('npm', ['--version'], { encoding: 'utf8' });
const skipReason = npmVersion.status !== 0 ? 'npm is not on PATH' : !registryReachable() ? `the npm registry ${REGISTRY} cannot be reached` : undefined;
if (skipReason) console.warn(`SKIPPED npm differential tests: ${skipReason}`);

/**
 * The package sets: per-platform optional binaries (sharp + libvips, esbuild, @swc/core, rollup's gnu/musl split,
 * lightningcss, @parcel/watcher, @node-rs/bcrypt), scoped packages (@aws-sdk), peer dependencies (react-dom,
 * react-redux), os-restricted optional dependencies (chokidar 3's fsevents), and everyday trees.
 */
const SETS: string[][] = [
  ['sharp@0.34'],
  ['esbuild@0.25'],
  ['@swc/core@1.10'],
  ['rollup@4'],
  ['lightningcss@1'],
  ['@parcel/watcher@2'],
  ['@node-rs/bcrypt@1'],
  ['@aws-sdk/client-s3@3'],
  ['react@18', 'react-dom@18'],
  ['react-redux@9', 'react@18'],
  ['chokidar@3'],
  ['express@4', 'axios@1'],
  ['pg@8', 'zod@3', 'date-fns@3'],
  ['jsonwebtoken@9', 'uuid@9'],
  ['@prisma/client@5'],
  ['fastify@4'],
];
const PLATFORM_SETS = new Set(['sharp@0.34', 'esbuild@0.25', '@swc/core@1.10', 'rollup@4', 'lightningcss@1', '@parcel/watcher@2', '@node-rs/bcrypt@1']);
const ARCHITECTURES: Architecture[] = ['x86_64', 'arm64'];
const CPU: Record<Architecture, string> = { x86_64: 'x64', arm64: 'arm64' };
const RUNTIME = `nodejs${process.versions.node.split('.')[0]}.x`;

/** Every installed package below a node_modules folder, as location → version, read from the packages themselves. */
async function installedTree(root: string): Promise<string[]> {
  const found: string[] = [];
  async function walk(nodeModules: string, prefix: string): Promise<void> {
    const names = await fs.readdir(nodeModules).catch(() => [] as string[]);
    for (const name of names) {
      if (name.startsWith('.')) continue;
      if (name.startsWith('@')) {
        for (const scoped of await fs.readdir(path.join(nodeModules, name))) await visit(path.join(nodeModules, name, scoped), `${prefix}${name}/${scoped}`);
      } else await visit(path.join(nodeModules, name), `${prefix}${name}`);
    }
  }
  async function visit(dir: string, location: string): Promise<void> {
    const manifest = JSON.parse(await fs.readFile(path.join(dir, 'package.json'), 'utf8')) as { version: string };
    found.push(`${location}@${manifest.version}`);
    await walk(path.join(dir, 'node_modules'), `${location}/node_modules/`);
  }
  await walk(path.join(root, 'node_modules'), 'node_modules/');
  return found.sort();
}

async function npmTree(specs: string[], architecture: Architecture, dir: string): Promise<string[]> {
  await fs.mkdir(dir, { recursive: true });
  await run(
    'npm',
    ['install', '--omit=dev', '--ignore-scripts', '--os=linux', `--cpu=${CPU[architecture]}`, '--libc=glibc', '--no-audit', '--no-fund', '--prefer-offline', `--registry=${REGISTRY}`, `--cache=${path.join(CACHE, 'npm-cli')}`, ...specs],
    { cwd: dir, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } },
  );
  return installedTree(dir);
}

async function laminaTree(specs: string[], architecture: Architecture, workDir: string): Promise<string[]> {
  const entry = npmKind.entrySchema.parse({ name: 'diff', kind: 'npm', packages: specs, runtimes: [RUNTIME], architectures: [architecture], registry: REGISTRY }) as NpmEntry;
  const [target] = npmKind.expand(entry, { prefix: 'lamina' }) as LayerTarget[];
  const resolved = await npmKind.resolve(target, { workDir, cacheDir: CACHE, log: () => undefined });
  return (resolved.inputs as { packages: Array<{ location: string; version: string }> }).packages.map((p) => `${p.location}@${p.version}`).sort();
}

/** At most `limit` sets at once: each runs npm and Arborist, and the machine is shared. */
function limiter(limit: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await work();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

(skipReason ? describe.skip : describe)(`lamina's npm tree equals npm ${npmVersion.stdout?.trim()} install --omit=dev --ignore-scripts --os=linux --cpu=<arch> --libc=glibc`, () => {
  // Concurrent tests start before beforeAll hooks run: the scratch folder is made here.
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'lamina-npm-diff-'));
  const limit = limiter(3);
  afterAll(() => fs.rm(scratch, { recursive: true, force: true }));

  it.concurrent.each(SETS.map((specs) => [specs.join(' '), specs]))(
    '%s (x86_64 and arm64)',
    async (label, specs) =>
      limit(async () => {
        const trees: string[][] = [];
        for (const architecture of ARCHITECTURES) {
          const where = path.join(scratch, `${String(label).replace(/[^a-z0-9]+/gi, '_')}-${architecture}`);
          const [expected, actual] = await Promise.all([npmTree(specs as string[], architecture, path.join(where, 'npm')), laminaTree(specs as string[], architecture, path.join(where, 'lamina'))]);
          expect({ architecture, tree: actual }).toEqual({ architecture, tree: expected });
          expect(actual.length).toBeGreaterThan(0);
          trees.push(actual);
        }
        // Where a set has per-platform binaries, the two targets really got different trees.
        if (PLATFORM_SETS.has(String(label))) expect(trees[1]).not.toEqual(trees[0]);
      }),
    600_000,
  );
});

/** Real tarballs (pax headers, folder entries, odd modes, bundled files, big native files) through both layouts. */
const LAYOUT_SETS: string[][] = [['express@4', 'axios@1'], ['sharp@0.34'], ['@aws-sdk/client-s3@3'], ['date-fns@3', 'lodash@4']];

(skipReason ? describe.skip : describe)("lamina's streamed npm layer is the zip the tree build gives, on real tarballs", () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'lamina-npm-layout-'));
  afterAll(() => fs.rm(scratch, { recursive: true, force: true }));

  it.each(LAYOUT_SETS.map((specs) => [specs.join(' '), specs]))(
    '%s',
    async (label, specs) => {
      const zips: Array<{ sha256: string; entries: number; unzippedSize: number; manifest: unknown }> = [];
      for (const layout of ['streamed', 'tree'] as const) {
        const kind = createNpmKind({ layout });
        const entry = kind.entrySchema.parse({ name: 'layout', kind: 'npm', packages: specs, runtimes: [RUNTIME], architectures: ['x86_64'], registry: REGISTRY }) as NpmEntry;
        const workDir = path.join(scratch, `${String(label).replace(/[^a-z0-9]+/gi, '_')}-${layout}`);
        const ctx = { workDir, cacheDir: CACHE, log: () => undefined };
        const built = await kind.build(await kind.resolve(kind.expand(entry, { prefix: 'lamina' })[0], ctx), ctx);
        expect(layout === 'streamed' ? built.archived!.length > 0 : built.archived === undefined).toBe(true);
        const { sha256, entries, unzippedSize } = await zipBuiltLayer(built, path.join(workDir, 'layer.zip'));
        // The manifest too: its native files are read from the stream (big ones from their chunks) or from disk.
        zips.push({ sha256, entries, unzippedSize, manifest: built.manifest });
      }
      expect(zips[0].entries).toBeGreaterThan(10);
      expect(zips[0]).toEqual(zips[1]);
    },
    600_000,
  );
});
