import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { NativeFile } from '../elf/native-check';
import type { TreePackage } from './tree';

/** The lifecycle scripts `npm install` runs for a dependency (and node-gyp's implicit one). */
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'] as const;

/** Tools whose install step compiles or downloads native code: a package using one needs it unless it ships a prebuilt. */
const NATIVE_TOOL = /\b(node-gyp|node-pre-gyp|prebuild-install|cmake-js|node-gyp-build|napi-build|neon)\b/;

export interface InstallScriptReport {
  /** `name@version: script` for each package with an install script that lamina did not run. */
  skipped: string[];
  /** Packages whose install script builds or fetches native code and which ship none for the target. */
  broken: Array<{ id: string; script: string }>;
}

/**
 * Looks at every installed package's install scripts (none of which ran). A script that only prints or checks is
 * harmless to skip; one that builds or downloads native code (node-gyp, prebuild-install, node-pre-gyp, cmake-js...)
 * is needed unless the package already holds a native file for the target (a prebuilt, e.g. in `prebuilds/` or from
 * its platform package), so such a package without one is reported broken.
 */
/** Packages installed in a folder on disk (`<root>/<location>`). */
export function installedBelow(root: string): InstalledPackages {
  return {
    manifest: async (p) => JSON.parse(await fs.readFile(path.join(root, p.location, 'package.json'), 'utf8')) as PackageScripts,
    has: (p, rel) => existsSync(path.join(root, p.location, rel)),
  };
}

/** What the install-script check reads of a package's manifest. */
export interface PackageScripts {
  scripts?: Record<string, string>;
  gypfile?: boolean;
}

/** How the check reads an installed package: from a folder on disk, or from a streamed layout. */
export interface InstalledPackages {
  manifest(p: TreePackage): Promise<PackageScripts>;
  /** Whether the package holds this file (relative to its folder). */
  has(p: TreePackage, rel: string): boolean;
}

/** The check on packages however they are laid out. */
export async function installScriptsOf(packages: TreePackage[], nativeFiles: NativeFile[], installed: InstalledPackages): Promise<InstallScriptReport> {
  const report: InstallScriptReport = { skipped: [], broken: [] };
  for (const p of packages) {
    const manifest = await installed.manifest(p);
    const scripts: Record<string, string> = {};
    for (const name of INSTALL_SCRIPTS) if (typeof manifest.scripts?.[name] === 'string') scripts[name] = manifest.scripts[name];
    const gyp = installed.has(p, 'binding.gyp');
    // npm runs `node-gyp rebuild` for a package with a binding.gyp and no install/preinstall script of its own.
    if (!scripts.install && !scripts.preinstall && manifest.gypfile !== false && gyp) scripts.install = 'node-gyp rebuild';
    const entries = Object.entries(scripts);
    if (entries.length === 0) continue;
    const id = `${p.name}@${p.version}`;
    const text = entries.map(([name, script]) => `${name}: ${script}`).join(', ');
    report.skipped.push(`${id} (${text})`);
    const native = entries.some(([, script]) => NATIVE_TOOL.test(script)) || gyp;
    // Its own folder or a package it depends on (sharp's @img/sharp-linux-x64) holds the prebuilt.
    const holders = [p.location, ...p.dependencies].map((location) => `${location}/`);
    const hasPrebuilt = nativeFiles.some((f) => holders.some((h) => f.file.startsWith(h)));
    if (native && !hasPrebuilt) report.broken.push({ id, script: text });
  }
  return report;
}
