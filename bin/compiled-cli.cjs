// The compiled CLI: local/cli.ts bundled by esbuild into compiled/ (cli.mjs and the chunks it imports), so that
// `lamina` starts without transpiling TypeScript. `npm ci` builds it (the `prepare` script); `npm run build:cli`
// builds it by hand.
//
// Why it is safe while sources keep changing: the entry's first line records when its build started and every
// file the build was made of (esbuild's metafile, plus package-lock.json, node_modules/.package-lock.json and this
// file). bin/lamina.cjs runs the bundle only when none of them is newer; otherwise it rebuilds first (or, without
// esbuild, runs the sources through tsx). A stale bundle can therefore never decide a test or a command.
//
// Why --help is fast, and each command loads only its own code: the output is ES modules split by esbuild at each
// command's `import()` (local/commands/index.ts), so `lamina --help` evaluates the entry alone (the command list and
// the error handling) and `lamina list` the entry plus the chunks of the list command; code two commands share
// lives in shared chunks, loaded once, so a class is one class across commands. On top of that, the npm packages
// lamina imports (the AWS SDK, the local services...) are loaded on first use: each package the bundle imports is
// replaced by a small module whose exports are getters (and, for a package that exports a function or class, a
// callable stand-in) that require the real package the first time anything is read from it. The export names are
// read from the installed packages at build time, which is why the lock files are inputs of the build.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const OUT_DIR = path.join(ROOT, 'compiled');
/** The entry: what bin/lamina.cjs imports. Its first line is the build record. */
const OUT_FILE = path.join(OUT_DIR, 'cli.mjs');
const HEADER = '// lamina-compiled ';
const ENTRY = 'lamina-entry';
/**
 * Packages bundled rather than loaded on first use: small ones nearly every command needs at start-up (catalog and
 * event schemas are built when their modules load), where bundling spares Node resolving and reading their files.
 */
const BUNDLED = ['zod', 'yaml'];
/**
 * Files outside the bundle's sources whose change invalidates it. npm rewrites node_modules/.package-lock.json on
 * every install, so it stands for the bundled packages' files (and the stand-ins' export names) at one stat
 * rather than one per file.
 */
const EXTRA_INPUTS = ['package-lock.json', 'bin/compiled-cli.cjs'];
const INSTALL_RECORD = 'node_modules/.package-lock.json';
/** Chunks no build refers to any more are deleted once this old (a process started before a rebuild may still import them). */
const OLD_CHUNK_MS = 60 * 60 * 1000;
/**
 * Every output file starts with this: ES modules have no `require`, `__filename` or `__dirname`, and the bundled
 * CommonJS code (the lazy stand-ins, zod, yaml) and the sources' `__dirname` (see onLoad below) need them. All
 * outputs sit in compiled/, so one `__dirname` serves every chunk.
 */
const BANNER = [
  `import { createRequire as __laminaCreateRequire } from 'node:module';`,
  `import { fileURLToPath as __laminaFileURLToPath } from 'node:url';`,
  `import { dirname as __laminaDirname } from 'node:path';`,
  `const require = __laminaCreateRequire(import.meta.url);`,
  `const __filename = __laminaFileURLToPath(import.meta.url);`,
  `const __dirname = __laminaDirname(__filename);`,
].join('\n');

/** The build record on the bundle's first line, or undefined when there is no readable bundle. */
function readRecord(file = OUT_FILE) {
  let fd;
  try {
    fd = fs.openSync(file, 'r');
    const buffer = Buffer.alloc(256 * 1024);
    const length = fs.readSync(fd, buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, length).toString('utf8');
    const end = text.indexOf('\n');
    if (!text.startsWith(HEADER) || end < 0) return undefined;
    return JSON.parse(text.slice(HEADER.length, end));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Why the bundle cannot be used as it is ('missing', or the first input newer than its build), or undefined when
 * it is up to date with every file it was made of.
 */
function staleness(file = OUT_FILE) {
  const record = readRecord(file);
  if (!record || !Array.isArray(record.inputs)) return 'missing';
  // Every `lamina` call runs this: one stat per input, paths joined by hand (inputs are relative, with /).
  for (const input of record.inputs) {
    const stats = fs.statSync(`${ROOT}/${input}`, { throwIfNoEntry: false });
    if (!stats) return `${input} is gone`;
    if (stats.mtimeMs >= record.startedAt) return `${input} changed`;
  }
  return undefined;
}

/** Export names of an installed package, as the stand-in module must offer them. */
function shapeOf(request) {
  const real = require(require.resolve(request, { paths: [ROOT] }));
  const skip = new Set(['length', 'name', 'prototype', 'caller', 'arguments']);
  const names = real == null || (typeof real !== 'object' && typeof real !== 'function') ? [] : Object.getOwnPropertyNames(real).filter((key) => !skip.has(key) || typeof real !== 'function');
  return { callable: typeof real === 'function', esModule: !!(real && real.__esModule), names };
}

function lazyModuleSource(request, shape) {
  const lines = [
    `let real;`,
    `const load = () => (real === undefined ? (real = require(${JSON.stringify(request)})) : real);`,
  ];
  if (shape.callable) {
    // A function or class export: calls and `new` reach the real one.
    lines.push(
      `const stub = function (...args) { return new.target ? Reflect.construct(load(), args, new.target === stub ? load() : new.target) : load().apply(this, args); };`,
      `module.exports = stub;`,
    );
  }
  lines.push(
    `const target = module.exports;`,
    ...(shape.esModule ? [`Object.defineProperty(target, '__esModule', { value: true });`] : []),
    `for (const key of ${JSON.stringify(shape.names.filter((n) => n !== '__esModule'))}) Object.defineProperty(target, key, { enumerable: true, configurable: true, get: () => load()[key] });`,
  );
  return lines.join('\n');
}

/** esbuild plugin: npm packages become lazy stand-ins; `__dirname` keeps meaning the source file's folder. */
function lamina() {
  return {
    name: 'lamina-cli',
    setup(build) {
      // The polyfills first (aws-local-stepfunctions needs them on Node 20), then the CLI, which says where it runs from.
      build.onResolve({ filter: /^lamina-entry$/ }, () => ({ path: ENTRY, namespace: 'lamina-entry' }));
      build.onLoad({ filter: /.*/, namespace: 'lamina-entry' }, () => ({
        contents: `import './local/polyfills.ts';\nexport { main, missingNodeFlags } from './local/cli.ts';\nexport const compiledFrom = __filename;\n`,
        resolveDir: ROOT,
        loader: 'js',
      }));
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('node:') || require('node:module').builtinModules.includes(args.path)) return { path: args.path, external: true };
        if (args.namespace === 'lazy-package') return { path: args.path, external: true };
        if (BUNDLED.some((name) => args.path === name || args.path.startsWith(`${name}/`))) return undefined;
        return { path: args.path, namespace: 'lazy-package' };
      });
      build.onLoad({ filter: /.*/, namespace: 'lazy-package' }, (args) => ({ contents: lazyModuleSource(args.path, shapeOf(args.path)), loader: 'js', resolveDir: ROOT }));
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        const source = fs.readFileSync(args.path, 'utf8');
        if (!source.includes('__dirname')) return undefined;
        // The bundle lives in compiled/: a source's own folder, relative to it, stands in for its __dirname.
        const dir = path.relative(OUT_DIR, path.dirname(args.path)).split(path.sep).join('/');
        const replaced = source.replace(/\b__dirname\b/g, `require('node:path').join(__dirname, ${JSON.stringify(dir)})`);
        return { contents: replaced, loader: 'ts' };
      });
    },
  };
}

function writeAtomically(file, text) {
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(temporary, text);
  fs.renameSync(temporary, file);
}

function finish(result, startedAt) {
  const inputs = Object.keys(result.metafile.inputs)
    .filter((input) => !input.includes(':') && fs.existsSync(path.resolve(ROOT, input)))
    .map((input) => path.relative(ROOT, path.resolve(ROOT, input)).split(path.sep).join('/'))
    .filter((input) => !input.startsWith('node_modules/') && !input.includes('/node_modules/') && !input.startsWith('../'))
    .concat(EXTRA_INPUTS, fs.existsSync(path.join(ROOT, INSTALL_RECORD)) ? [INSTALL_RECORD] : [])
    .sort();
  fs.mkdirSync(OUT_DIR, { recursive: true });
  // Chunks are named by their content, so a new build never overwrites a chunk an older entry imports with other
  // code; the entry goes last, so a concurrent reader sees the old build or the new one, whole.
  const written = new Set();
  for (const file of result.outputFiles) {
    written.add(file.path);
    if (file.path !== OUT_FILE) writeAtomically(file.path, file.text);
  }
  const entry = result.outputFiles.find((file) => file.path === OUT_FILE).text;
  writeAtomically(OUT_FILE, `${HEADER}${JSON.stringify({ startedAt, inputs })}\n${entry}`);
  for (const name of fs.readdirSync(OUT_DIR)) {
    const file = path.join(OUT_DIR, name);
    if (written.has(file)) continue;
    try {
      if (name === 'cli.cjs' || Date.now() - fs.statSync(file).mtimeMs > OLD_CHUNK_MS) fs.rmSync(file, { force: true });
    } catch {
      // Another build removed it first.
    }
  }
  return OUT_FILE;
}

/** Builds compiled/ (atomically: a concurrent reader sees the old build or the new one). Returns the entry's path. */
async function build() {
  const esbuild = require('esbuild');
  const startedAt = Date.now();
  const result = await esbuild.build({
    entryPoints: { cli: ENTRY },
    bundle: true,
    splitting: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    banner: { js: BANNER },
    write: false,
    metafile: true,
    outdir: OUT_DIR,
    logLevel: 'warning',
    // require.resolve of a package resolves at run time from compiled/, inside the project: the same node_modules.
    logOverride: { 'require-resolve-not-external': 'silent' },
    plugins: [lamina()],
  });
  return finish(result, startedAt);
}

module.exports = { OUT_FILE, OUT_DIR, build, staleness, readRecord };

if (require.main === module) {
  build().then(
    (file) => console.log(`compiled the lamina CLI into ${path.relative(process.cwd(), file)}`),
    (error) => {
      console.error(error && error.stack ? error.stack : String(error));
      process.exitCode = 1;
    },
  );
}
