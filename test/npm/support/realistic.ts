import { mixedPayload } from '../../python/support/fixture-index';
import { elfFixture } from '../../support/elf-fixture';
import type { FixturePackage } from './registry';

/**
 * Fixture trees shaped like real node_modules: many packages of many small JavaScript files (with the README,
 * tests, declarations and source maps strip leaves out), scoped names, a dependency needed at two versions (so
 * one copy is nested), and a few native `.node` files of realistic sizes. For the streamed-layout tests (small)
 * and bench:npm (large). `${prefix}-app` depends on everything.
 */

const LINES = [
  "'use strict';\n",
  "const path = require('path');\n",
  'function transform{n}(input, options = {}) {\n  if (input == null) throw new TypeError(`input must be given (${typeof input})`);\n  return String(input).split(options.separator || ",").map((part) => part.trim());\n}\n',
  'class Handler{n} {\n  constructor(name) { this.name = name; this.calls = 0; }\n  handle(event) { this.calls++; return { name: this.name, event, at: Date.now() }; }\n}\n',
  'module.exports.transform{n} = transform{n};\nmodule.exports.Handler{n} = Handler{n};\n',
  '/* istanbul ignore next */\nexports.version{n} = "1.{n}.0";\n',
];

/** JavaScript of exactly `bytes` bytes, different per `n`. */
function javascript(bytes: number, n: number): string {
  let text = `// generated ${n}\n`;
  for (let i = 0; text.length < bytes; i++) text += LINES[(i + n) % LINES.length].replace(/\{n\}/g, String(n * 17 + i));
  return text.slice(0, bytes);
}

const SIZES = [180, 600, 1500, 2400, 4000, 7000, 12000, 30000, 90000];

export interface RealisticTree {
  prefix: string;
  /** Packages besides the app and the shared `util` (two versions). */
  packages: number;
  /** Files per package, on average. */
  files: number;
  /** Sizes of the native files, one package each (`${prefix}-native-i`, x86_64 ELF). */
  natives?: number[];
}

export function realisticTree(tree: RealisticTree): FixturePackage[] {
  const { prefix } = tree;
  const out: FixturePackage[] = [];
  const deps: Record<string, string> = { [`${prefix}-util`]: '^2.0.0' };
  let n = 0;
  const filesOf = (count: number, seed: number): Record<string, string> => {
    const files: Record<string, string> = { 'index.js': javascript(400, seed), 'README.md': `# ${prefix} ${seed}\n\n${javascript(1200, seed)}`, LICENSE: 'MIT License\n\nCopyright (c) fixture\n' };
    for (let i = 0; i < count; i++) {
      const size = SIZES[(i * 7 + seed) % SIZES.length];
      const folder = i % 5 === 0 ? 'lib' : i % 5 === 1 ? 'lib/internal' : i % 5 === 2 ? 'dist/cjs' : i % 5 === 3 ? 'dist/esm' : `lib/part${i % 11}`;
      const base = `${folder}/mod${i}`;
      files[`${base}.js`] = javascript(size, ++n);
      if (i % 4 === 0) files[`${base}.d.ts`] = `export declare function transform${i}(input: string): string[];\n`;
      if (i % 6 === 0) files[`${base}.js.map`] = `{"version":3,"sources":["../src/mod${i}.ts"],"mappings":"${'AAAA,'.repeat(size % 300)}"}\n`;
      if (i % 9 === 0) files[`test/mod${i}.test.js`] = javascript(800, n);
    }
    return files;
  };
  for (let i = 0; i < tree.packages; i++) {
    const name = i % 6 === 5 ? `@${prefix}/scoped-${i}` : `${prefix}-lib-${i}`;
    // Every fifth package needs util 1 while the app has util 2: npm nests a copy below it.
    const dependencies = i % 5 === 0 ? { [`${prefix}-util`]: '^1.0.0' } : {};
    out.push({ name, version: '1.0.0', manifest: { main: 'index.js', license: 'MIT', dependencies }, files: filesOf(tree.files, i), modes: { 'index.js': i % 7 === 0 ? 0o755 : 0o644 } });
    deps[name] = '^1.0.0';
  }
  for (const version of ['1.0.0', '2.0.0']) out.push({ name: `${prefix}-util`, version, manifest: { main: 'index.js', license: 'ISC' }, files: filesOf(Math.ceil(tree.files / 2), version === '1.0.0' ? 1001 : 1002) });
  (tree.natives ?? []).forEach((size, i) => {
    const elf = elfFixture({ machine: 'x86_64', glibc: ['2.17'] });
    const name = `${prefix}-native-${i}`;
    out.push({ name, version: '1.0.0', manifest: { main: 'index.js', license: 'Apache-2.0' }, files: { 'index.js': "module.exports = require('./build/Release/addon.node');\n", 'build/Release/addon.node': Buffer.concat([elf, mixedPayload(Math.max(0, size - elf.length), i + 7)]) } });
    deps[name] = '^1.0.0';
  });
  out.push({ name: `${prefix}-app`, version: '1.0.0', manifest: { main: 'index.js', license: 'MIT', dependencies: deps }, files: { 'index.js': 'module.exports = {};\n' } });
  return out;
}
