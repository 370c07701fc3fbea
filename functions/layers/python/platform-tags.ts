import type { Architecture } from '../kind';
import { machineOf } from './lambda-runtimes';

/**
 * Compatibility tags (PEP 425, manylinux per PEP 600) a Lambda Python runtime accepts, in pip's priority order
 * (packaging.tags.sys_tags): the earlier a tag, the more specific the wheel. musllinux and plain `linux_*` wheels
 * are never accepted: Lambda runs glibc, and `linux_*` wheels are not portable.
 */

const LEGACY_MANYLINUX: Record<string, string> = { '2.17': 'manylinux2014', '2.12': 'manylinux2010', '2.5': 'manylinux1' };

/**
 * The Linux platform tags for an architecture and glibc, most specific first: `manylinux_2_N` from the runtime's
 * glibc down to the oldest the architecture ever had (2.5 on x86_64, 2.17 on aarch64), each followed by its legacy
 * alias where one exists.
 */
export function linuxPlatforms(architecture: Architecture, glibc: readonly [number, number]): string[] {
  const arch = machineOf(architecture);
  const oldest = arch === 'x86_64' ? 5 : 17;
  const platforms: string[] = [];
  for (let minor = glibc[1]; minor >= oldest; minor--) {
    platforms.push(`manylinux_${glibc[0]}_${minor}_${arch}`);
    const legacy = LEGACY_MANYLINUX[`${glibc[0]}.${minor}`];
    if (legacy) platforms.push(`${legacy}_${arch}`);
  }
  return platforms;
}

/** Every tag a CPython `major.minor` on these platforms accepts, best first (packaging's cpython_tags + compatible_tags). */
export function compatibleTags(pythonVersion: string, platforms: string[]): string[] {
  const [major, minor] = pythonVersion.split('.').map(Number);
  const cp = `cp${major}${minor}`;
  const tags: string[] = [];
  for (const platform of platforms) tags.push(`${cp}-${cp}-${platform}`);
  for (const platform of platforms) tags.push(`${cp}-abi3-${platform}`);
  for (const platform of platforms) tags.push(`${cp}-none-${platform}`);
  // abi3 wheels built for any older CPython 3.x (>= 3.2, where the stable ABI starts) load on this one.
  for (let older = minor - 1; older >= 2; older--) for (const platform of platforms) tags.push(`cp${major}${older}-abi3-${platform}`);
  const pythons = [`py${major}${minor}`, `py${major}`, ...Array.from({ length: minor }, (_, i) => `py${major}${minor - 1 - i}`)];
  for (const py of pythons) for (const platform of platforms) tags.push(`${py}-none-${platform}`);
  tags.push(`${cp}-none-any`);
  for (const py of pythons) tags.push(`${py}-none-any`);
  return tags;
}

/** The tags a Lambda Python runtime on an architecture accepts, best first. */
export function lambdaTags(pythonVersion: string, architecture: Architecture, glibc: readonly [number, number]): string[] {
  return compatibleTags(pythonVersion, linuxPlatforms(architecture, glibc));
}

/** A tag lookup: priority of a tag (0 = best), or undefined when the target does not accept it. */
export function tagPriorities(tags: string[]): Map<string, number> {
  const map = new Map<string, number>();
  tags.forEach((tag, index) => {
    if (!map.has(tag)) map.set(tag, index);
  });
  return map;
}
