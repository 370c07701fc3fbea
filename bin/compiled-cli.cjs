// The compiled CLI: local/cli.ts bundled by esbuild into compiled/cli.cjs, so that `lamina` starts without
// transpiling TypeScript. `npm ci` builds it (the `prepare` script); `npm run build:cli` builds it by hand.
//
// Why it is safe while sources keep changing: the bundle's first line records when its build started and every
// file it was made of (esbuild's metafile, plus package-lock.json and this file). bin/lamina.cjs runs the bundle
// only when none of them is newer; otherwise it rebuilds first (or, without esbuild, runs the sources through tsx).
// A stale bundle can therefore never decide a test or a command.
//
// Why --help is fast: the npm packages lamina imports (the AWS SDK, the local services, zod...) are loaded on first
// use rather than at start-up. Each package the bundle imports is replaced by a small module whose exports are
// getters (and, for a package that exports a function or class, a callable stand-in) that require the real package
// the first time anything is read from it. The export names are read from the installed packages at build time,
// which is why package-lock.json is an input of the build.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const OUT_FILE = path.join(ROOT, 'compiled', 'cli.cjs');
const HEADER = '// lamina-compiled ';
/**
 * Packages bundled rather than loaded on first use: small ones nearly every command needs at start-up (catalog and
 * event schemas are built when their modules load), where bundling spares Node resolving and reading their files.
 */
const BUNDLED = ['zod', 'yaml'];
/** Files outside the bundle's inputs whose change invalidates it. */
const EXTRA_INPUTS = ['package-lock.json', 'bin/compiled-cli.cjs'];

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
  for (const input of record.inputs) {
    let mtime;
    try {
      mtime = fs.statSync(path.join(ROOT, input)).mtimeMs;
    } catch {
      return `${input} is gone`;
    }
    if (mtime >= record.startedAt) return `${input} changed`;
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
        const dir = path.relative(path.dirname(OUT_FILE), path.dirname(args.path)).split(path.sep).join('/');
        const replaced = source.replace(/\b__dirname\b/g, `require('node:path').join(__dirname, ${JSON.stringify(dir)})`);
        return { contents: replaced, loader: 'ts' };
      });
    },
  };
}

function finish(result, startedAt) {
  const inputs = Object.keys(result.metafile.inputs)
    .filter((input) => !input.includes(':') && fs.existsSync(path.resolve(ROOT, input)))
    .map((input) => path.relative(ROOT, path.resolve(ROOT, input)).split(path.sep).join('/'))
    .concat(EXTRA_INPUTS)
    .sort();
  const code = result.outputFiles.find((file) => file.path === OUT_FILE).text;
  fs.mkdirSync(path.dirname(OUT_FILE), { recursive: true });
  const temporary = `${OUT_FILE}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(temporary, `${HEADER}${JSON.stringify({ startedAt, inputs })}\n${code}`);
  fs.renameSync(temporary, OUT_FILE);
  return OUT_FILE;
}

/** Builds compiled/cli.cjs (atomically: a concurrent reader sees the old bundle or the new one). Returns its path. */
async function build() {
  const esbuild = require('esbuild');
  const startedAt = Date.now();
  const result = await esbuild.build({
    // The polyfills first (aws-local-stepfunctions needs them on Node 20), then the CLI, which says where it runs from.
    stdin: {
      contents: `require('./local/polyfills.ts');\nmodule.exports = { ...require('./local/cli.ts'), compiledFrom: __filename };\n`,
      resolveDir: ROOT,
      sourcefile: 'compiled-entry.cjs',
      loader: 'js',
    },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    metafile: true,
    outfile: OUT_FILE,
    logLevel: 'warning',
    // require.resolve of a package resolves at run time from compiled/, inside the project: the same node_modules.
    logOverride: { 'require-resolve-not-external': 'silent' },
    plugins: [lamina()],
  });
  return finish(result, startedAt);
}

module.exports = { OUT_FILE, build, staleness, readRecord };

if (require.main === module) {
  build().then(
    (file) => console.log(`compiled the lamina CLI into ${path.relative(process.cwd(), file)}`),
    (error) => {
      console.error(error && error.stack ? error.stack : String(error));
      process.exitCode = 1;
    },
  );
}
