import * as path from 'node:path';
import { BuildError } from '../layers/kind';

/**
 * Resolves an archive entry name inside `root`, refusing anything that would land outside it:
 * absolute paths, drive letters, `..` segments that climb out, and NUL bytes.
 */
export function resolveInside(root: string, entryName: string, archive = 'archive'): string {
  const normalizedRoot = path.resolve(root);
  if (entryName.includes('\0')) {
    throw new BuildError(`${archive}: entry ${JSON.stringify(entryName)} contains a NUL byte; refusing to extract it`);
  }
  const name = entryName.replace(/\\/g, '/');
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) {
    throw new BuildError(
      `${archive}: entry ${JSON.stringify(entryName)} is an absolute path and would be written outside ${normalizedRoot}; refusing to extract it`,
    );
  }
  const target = path.resolve(normalizedRoot, name);
  if (target !== normalizedRoot && !target.startsWith(normalizedRoot + path.sep)) {
    throw new BuildError(
      `${archive}: entry ${JSON.stringify(entryName)} would be written outside ${normalizedRoot}; refusing to extract it`,
    );
  }
  return target;
}

/** Checks that a symbolic link stored at `linkPath` pointing to `linkTarget` stays inside `root`. */
export function assertLinkInside(root: string, linkPath: string, linkTarget: string, archive = 'archive'): void {
  const normalizedRoot = path.resolve(root);
  const resolved = path.resolve(path.dirname(linkPath), linkTarget);
  if (path.isAbsolute(linkTarget) || (resolved !== normalizedRoot && !resolved.startsWith(normalizedRoot + path.sep))) {
    throw new BuildError(
      `${archive}: link ${path.relative(normalizedRoot, linkPath)} -> ${linkTarget} points outside ${normalizedRoot}; refusing to extract it`,
    );
  }
}
