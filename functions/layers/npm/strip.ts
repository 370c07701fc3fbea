import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { LaidOutTree } from './laid-out-tree';
import type { TreePackage } from './tree';

/** What an npm layer leaves out; every category is on unless the entry turns it off. */
export interface NpmStrip {
  /** README, CHANGELOG, HISTORY and other *.md / *.markdown files, and doc/docs/example(s) folders (LICENSE stays). */
  docs: boolean;
  /** test/tests/__tests__ folders and *.test.* / *.spec.* files. */
  tests: boolean;
  /** TypeScript sources (`x.ts` beside `x.js`) and declarations (`*.d.ts`), which no runtime loads. */
  typescript: boolean;
  /** Source maps (`x.js.map` beside `x.js`). */
  sourceMaps: boolean;
  /** node-gyp-build's `prebuilds/<platform>-<arch>` folders for other platforms than the target. */
  otherPlatforms: boolean;
}

export const STRIP_ALL: NpmStrip = { docs: true, tests: true, typescript: true, sourceMaps: true, otherPlatforms: true };
export const STRIP_NONE: NpmStrip = { docs: false, tests: false, typescript: false, sourceMaps: false, otherPlatforms: false };

const DOC_FILE = /^(readme|changelog|changes|history|authors|contributors|code_of_conduct|contributing|security)(\.[a-z0-9]+)?$|\.(md|markdown)$/i;
const DOC_DIR = new Set(['doc', 'docs', 'example', 'examples']);
const TEST_DIR = new Set(['test', 'tests', '__tests__']);
const TEST_FILE = /\.(test|spec)\.(c|m)?(j|t)sx?$/;
const DECLARATION = /\.d\.(c|m)?ts$/;
const TS_SOURCE = /\.(c|m)?tsx?$/;
const COMPILED = ['.js', '.cjs', '.mjs'];

/** Whether a path relative to the package folder exists (at the time it is asked: earlier removals count). */
type Exists = (rel: string) => boolean;

function compiledBeside(rel: string, exists: Exists): boolean {
  const base = rel.replace(/\.(c|m)?tsx?$/, '');
  return COMPILED.some((ext) => exists(base + ext));
}

/** Why a file or folder of a package goes, or undefined when it stays. `rel` is relative to the package folder. */
export function reasonToDrop(rel: string, isDir: boolean, strip: NpmStrip, platform: string, exists: Exists): string | undefined {
  const name = path.posix.basename(rel);
  const top = !rel.includes('/');
  if (rel === 'package.json' || /^(licen[cs]e|copying|notice)/i.test(name)) return undefined;
  if (isDir) {
    if (strip.docs && top && DOC_DIR.has(name)) return 'docs';
    if (strip.tests && TEST_DIR.has(name)) return 'tests';
    if (strip.otherPlatforms && /^prebuilds\/[^/]+$/.test(rel) && name !== platform && !name.startsWith(`${platform}`)) return 'otherPlatforms';
    return undefined;
  }
  if (strip.docs && DOC_FILE.test(name)) return 'docs';
  if (strip.tests && TEST_FILE.test(name)) return 'tests';
  if (strip.typescript && DECLARATION.test(name)) return 'typescript';
  if (strip.typescript && TS_SOURCE.test(name) && compiledBeside(rel, exists)) return 'typescript';
  if (strip.sourceMaps && name.endsWith('.map') && exists(rel.slice(0, -'.map'.length))) return 'sourceMaps';
  return undefined;
}

/**
 * Removes from each installed package what a function never loads; nested node_modules are packages of their own and
 * are stripped as such. Returns the bytes freed per category.
 */
export async function stripPackages(root: string, packages: TreePackage[], strip: NpmStrip, platform: string): Promise<Record<string, number>> {
  const freed: Record<string, number> = {};
  const sizeOf = async (target: string): Promise<number> => {
    const stat = await fs.lstat(target);
    if (!stat.isDirectory()) return stat.size;
    let total = 0;
    for (const name of await fs.readdir(target)) total += await sizeOf(path.join(target, name));
    return total;
  };
  for (const p of packages) {
    const pkgDir = path.join(root, p.location);
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
        const absolute = path.join(dir, entry.name);
        const rel = path.relative(pkgDir, absolute).split(path.sep).join('/');
        if (entry.isDirectory() && entry.name === 'node_modules') continue;
        const reason = reasonToDrop(rel, entry.isDirectory(), strip, platform, (other) => existsSync(path.join(pkgDir, other)));
        if (reason) {
          freed[reason] = (freed[reason] ?? 0) + (await sizeOf(absolute));
          await fs.rm(absolute, { recursive: true, force: true });
        } else if (entry.isDirectory()) await walk(absolute);
      }
    };
    await walk(pkgDir);
  }
  return freed;
}

/**
 * The same strip on a laid-out tree of names (the streamed layout): each package's folder walked in byte order,
 * nested node_modules left to their own packages. Returns the bytes left out per category.
 */
export function stripLaidOut(tree: LaidOutTree<{ size: number }>, packages: TreePackage[], strip: NpmStrip, platform: string): Record<string, number> {
  const freed: Record<string, number> = {};
  for (const p of packages) {
    const walk = (dir: string): void => {
      for (const name of tree.list(dir)) {
        const full = `${dir}/${name}`;
        const isDir = tree.isFolder(full);
        if (isDir && name === 'node_modules') continue;
        const reason = reasonToDrop(full.slice(p.location.length + 1), isDir, strip, platform, (other) => tree.has(`${p.location}/${other}`));
        if (reason) freed[reason] = (freed[reason] ?? 0) + tree.remove(full);
        else if (isDir) walk(full);
      }
    };
    if (tree.isFolder(p.location)) walk(p.location);
  }
  return freed;
}
