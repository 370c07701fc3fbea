import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { invokeFunction } from '../../runtime-api/invoke';
import { BuildError, type Architecture, type KindContext, type ResolvedTarget } from '../kind';
import { hostArchitecture, nodeRuntimeKind } from '../node-runtime/kind';
import { resolveNodeRelease, type NodeRelease } from '../node-runtime/releases';

/**
 * The function the check invokes: `require()` of each package from the layer's `nodejs/node_modules` (found as Lambda
 * finds it, through NODE_PATH), and `import()` for a package that is ES modules only. ES modules ignore NODE_PATH, so
 * the import runs from a file in /tmp beside a `node_modules` link to the layer's folder. A package with no entry
 * point at all (types only, or only subpaths) is reported, not failed: there is nothing to load by its name.
 * Plain CommonJS with core modules only, so it runs on every Node.js lamina targets.
 */
export const LOAD_CHECK_FUNCTION = `'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');
const { pathToFileURL } = require('url');
const FALLBACK = ['ERR_REQUIRE_ESM', 'ERR_PACKAGE_PATH_NOT_EXPORTED', 'ERR_REQUIRE_ASYNC_MODULE'];
function hasEntry(dir) {
  let manifest = {};
  try { manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')); } catch (error) { return true; }
  if (manifest.main || manifest.module) return true;
  if (manifest.exports !== undefined) {
    const e = manifest.exports;
    return typeof e === 'string' || Array.isArray(e) || Object.keys(e).some((key) => key === '.' || !key.startsWith('.'));
  }
  return ['index.js', 'index.json', 'index.node', 'index.cjs', 'index.mjs'].some((file) => fs.existsSync(path.join(dir, file)));
}
exports.handler = async (event) => {
  const nm = (process.env.NODE_PATH || '').split(path.delimiter).find((dir) => /nodejs[\\\\/]node_modules$/.test(dir));
  if (!nm) throw new Error('NODE_PATH names no nodejs/node_modules folder: ' + process.env.NODE_PATH);
  const load = createRequire(path.join(path.dirname(nm), 'lamina-load-check.js'));
  const importDir = fs.mkdtempSync(path.join(process.env.TMPDIR || '/tmp', 'lamina-load-check-'));
  fs.symlinkSync(nm, path.join(importDir, 'node_modules'), 'dir');
  const results = {};
  let n = 0;
  for (const name of event.packages) {
    if (!hasEntry(path.join(nm, name))) { results[name] = { how: 'none' }; continue; }
    try {
      const loaded = load(name);
      results[name] = { how: 'require', keys: Object.keys(loaded || {}).length };
    } catch (error) {
      if (!FALLBACK.includes(error && error.code)) { results[name] = { error: String((error && error.stack) || error) }; continue; }
      const file = path.join(importDir, 'import-' + n++ + '.mjs');
      fs.writeFileSync(file, 'export * as loaded from ' + JSON.stringify(name) + ';\\n');
      try {
        const loaded = (await import(pathToFileURL(file).href)).loaded;
        results[name] = { how: 'import', keys: Object.keys(loaded).length };
      } catch (importError) {
        results[name] = { error: String((importError && importError.stack) || importError) };
      }
    }
  }
  return { node: process.version, arch: process.arch, results };
};
`;

export interface LoadCheckOptions {
  /** Node.js major line to load the packages with. */
  major: number;
  architecture: Architecture;
  /** Registry the node-linux-<arch> package comes from (as the node-runtime kind fetches it). */
  registry: string;
  /** The Node.js release to use; resolved from the registry when unset. */
  release?: NodeRelease;
}

/** Lays out a node-runtime layer of the target's Node.js line under workDir, with the node-runtime kind's own build. */
async function nodeRuntimeLayer(options: LoadCheckOptions, ctx: KindContext): Promise<{ dir: string; version: string }> {
  const release = options.release ?? (await resolveNodeRelease('npm', String(options.major), options.architecture, { npmRegistryUrl: options.registry }));
  const workDir = path.join(ctx.workDir, 'load-check-node');
  const target: ResolvedTarget = {
    entry: 'load-check',
    kind: 'node-runtime',
    layerName: `load-check-node${options.major}`,
    runtimes: [],
    architectures: [options.architecture],
    description: '',
    spec: {},
    inputs: { release, architecture: options.architecture },
  };
  const built = await nodeRuntimeKind.build(target, { ...ctx, workDir });
  return { dir: built.rootDir, version: release.version };
}

/**
 * Proves an npm layer before it is published: each top-level package is loaded by a Node.js of the target's line
 * through lamina's Runtime API (as Lambda would run a function on the layer), where this machine can run the
 * target's architecture. Returns what was loaded how; throws a BuildError naming each package that fails to load.
 */
export async function checkPackagesLoad(
  packages: string[],
  layerDir: string,
  options: LoadCheckOptions,
  ctx: KindContext,
  label: string,
): Promise<{ verified: boolean; node?: string; results: Record<string, { how?: string; error?: string }> }> {
  if (hostArchitecture() !== options.architecture) {
    ctx.log(`${label}: load check skipped: this machine (${process.platform} ${process.arch}) cannot run ${options.architecture} code; the layer is not verified here`);
    return { verified: false, results: {} };
  }
  const node = await nodeRuntimeLayer(options, ctx);
  const code = path.join(ctx.workDir, 'load-check-function');
  await fs.rm(code, { recursive: true, force: true });
  await fs.mkdir(code, { recursive: true });
  await fs.writeFile(path.join(code, 'index.js'), LOAD_CHECK_FUNCTION);
  const report = await invokeFunction({
    layers: [node.dir, layerDir],
    code,
    handler: 'index.handler',
    events: [{ packages }],
    timeoutSeconds: 120,
    memoryMb: 1024,
    workDir: ctx.workDir,
  });
  const result = report.results[0];
  if (!result.ok) {
    throw new BuildError(`${label}: loading ${packages.join(', ')} on Node.js ${node.version} failed: ${result.error.errorType}: ${result.error.errorMessage}; logs:\n${report.logs.slice(-4000)}`);
  }
  const response = result.response as { node: string; results: Record<string, { how?: string; error?: string }> };
  const failed = Object.entries(response.results).filter(([, r]) => r.error);
  if (failed.length > 0) {
    throw new BuildError(
      `${label}: ${failed.map(([name, r]) => `${name} does not load on Node.js ${response.node} ${options.architecture}: ${(r.error ?? '').split('\n').slice(0, 4).join(' | ')}`).join('; ')}. Nothing was published; pin a version that works on this runtime, or report it to the package's maintainers`,
    );
  }
  const summary = Object.entries(response.results).map(([name, r]) => `${name} (${r.how === 'none' ? 'no entry point to load' : r.how})`);
  ctx.log(`${label}: load check passed on Node.js ${response.node}: ${summary.join(', ')}`);
  return { verified: true, node: response.node, results: response.results };
}
