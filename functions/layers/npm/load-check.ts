import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { invokeFunction } from '../../runtime-api/invoke';
import { NotVerifiableError, VerificationError, type VerifyContext, type VerifyReport } from '../kind';
import { NODE_RUNTIME_CLIENT } from '../node-runtime/runtime-client';

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

/**
 * Proves an npm layer on its target: each top-level package is loaded by the verify environment's Node.js (the
 * target's line, under qemu for arm64 on x86_64) running lamina's Runtime API client, as Lambda would run a function
 * on the layer. Throws a VerificationError naming each package that fails to load, with its error.
 */
export async function checkPackagesLoad(packages: string[], layerDir: string, ctx: VerifyContext, label: string): Promise<VerifyReport> {
  const { node } = ctx.env;
  if (!node) throw new NotVerifiableError(`${label}: the verify environment ${ctx.env.description} has no Node.js`);
  const code = path.join(ctx.workDir, 'load-check-function');
  await fs.rm(code, { recursive: true, force: true });
  await fs.mkdir(code, { recursive: true });
  await fs.writeFile(path.join(code, 'index.js'), LOAD_CHECK_FUNCTION);
  await fs.writeFile(path.join(code, 'runtime.js'), NODE_RUNTIME_CLIENT);
  // What Lambda's managed runtime would start; the command below starts the same through the environment's node.
  await fs.writeFile(path.join(code, 'bootstrap'), `#!/bin/sh\nexec node "$LAMBDA_TASK_ROOT/runtime.js"\n`, { mode: 0o755 });
  const report = await invokeFunction({
    layers: [layerDir],
    code,
    handler: 'index.handler',
    events: [{ packages }],
    timeoutSeconds: 300,
    memoryMb: 1024,
    workDir: ctx.workDir,
    command: ({ task }) => [...node, path.join(task, 'runtime.js')],
  });
  const result = report.results[0];
  if (!result.ok) {
    throw new VerificationError(packages.join(', '), `${label}: loading ${packages.join(', ')} with ${ctx.env.description} failed: ${result.error.errorType}: ${result.error.errorMessage}; logs:\n${report.logs.slice(-4000)}`);
  }
  const response = result.response as { node: string; arch: string; results: Record<string, { how?: string; error?: string }> };
  const failed = Object.entries(response.results).filter(([, r]) => r.error);
  if (failed.length > 0) {
    throw new VerificationError(
      failed.map(([name]) => name).join(', '),
      `${label}: ${failed.map(([name, r]) => `${name} does not load on Node.js ${response.node} ${response.arch}: ${(r.error ?? '').split('\n').slice(0, 4).join(' | ')}`).join('; ')}. Nothing was published; pin a version that works on this runtime, or report it to the package's maintainers`,
    );
  }
  const loaded = Object.entries(response.results).map(([name, r]) => `${name} (${r.how === 'none' ? 'no entry point to load' : r.how})`);
  return { summary: `loaded ${loaded.length} top-level package(s) on Node.js ${response.node} ${response.arch}: ${loaded.join(', ')}` };
}
