import * as pep440 from '@renovatebot/pep440';

/**
 * PEP 440 versions and specifiers, on top of `@renovatebot/pep440`. What this module adds is the pre-release policy
 * pip applies to a whole specifier set, which the library leaves to its callers.
 */

/** True when `version` is a valid PEP 440 version. */
export function isValidVersion(version: string): boolean {
  return pep440.valid(version) !== null;
}

/** Sort order of two versions (negative when `a` is older). */
export function compareVersions(a: string, b: string): number {
  return pep440.compare(a, b);
}

/**
 * A canonical string for a version, equal for versions PEP 440 calls equal (`1.0` and `1.0.0`, `1.0RC1` and
 * `1.0rc1`), so versions can be grouped in a Map.
 */
export function versionKey(version: string): string {
  const e = pep440.explain(version);
  if (!e) return version;
  const release = [...e.release];
  while (release.length > 1 && release[release.length - 1] === 0) release.pop();
  return [e.epoch, release.join('.'), e.pre ? e.pre.join('') : '', e.post ?? '', e.dev ?? '', e.local ?? ''].join('|');
}

/** True for alpha/beta/rc and dev releases. */
export function isPrerelease(version: string): boolean {
  const explained = pep440.explain(version);
  return Boolean(explained && explained.is_prerelease);
}

/** True when `specifier` (one clause or several joined by commas; may be empty) is valid PEP 440. */
export function isValidSpecifier(specifier: string): boolean {
  return specifier.trim() === '' || pep440.validRange(specifier);
}

/** The clauses of a specifier set, trimmed (`>=1, <2` gives `['>=1', '<2']`). */
export function specifierClauses(specifier: string): string[] {
  return specifier
    .split(',')
    .map((clause) => clause.trim())
    .filter(Boolean);
}

/**
 * True when a clause opts its requirement into pre-releases (packaging's Specifier.prereleases): `==`, `===`, `>=`,
 * `<=` or `~=` naming a pre-release, e.g. `>=2.0b1`.
 */
export function clauseMentionsPrerelease(clause: string): boolean {
  const match = /^(===|~=|==|<=|>=)\s*(.+)$/.exec(clause.trim());
  if (!match) return false;
  const version = match[2].replace(/\.\*$/, '');
  return isValidVersion(version) && isPrerelease(version);
}

/** True when `version` satisfies every clause, pre-releases counted as ordinary versions. */
export function satisfiesAll(version: string, clauses: string[]): boolean {
  return clauses.every((clause) => pep440.satisfies(version, clause, { prereleases: true }));
}

/** True when a clause pins one exact version (`==1.2`, `===1.2`, not `==1.*`). */
export function isPinningClause(clause: string): boolean {
  const trimmed = clause.trim();
  if (trimmed.startsWith('===')) return true;
  return trimmed.startsWith('==') && !trimmed.endsWith('.*');
}

/**
 * Filters versions against a set of clauses exactly as pip 23 does (packaging 21's SpecifierSet.filter): clause by
 * clause, pre-releases kept when asked for or when a clause names one; a clause that only pre-releases satisfy
 * lets them through.
 */
export function filterVersions<T>(items: T[], versionOf: (item: T) => string, clauses: string[], allowPrereleases: boolean): T[] {
  const prereleases = allowPrereleases || clauses.some(clauseMentionsPrerelease);
  if (clauses.length === 0) {
    if (prereleases) return items;
    const finals = items.filter((item) => !isPrerelease(versionOf(item)));
    return finals.length > 0 ? finals : items;
  }
  let current = items;
  for (const clause of clauses) {
    const matched = current.filter((item) => pep440.satisfies(versionOf(item), clause, { prereleases: true }));
    const yielded = prereleases ? matched : matched.filter((item) => !isPrerelease(versionOf(item)));
    current = yielded.length > 0 ? yielded : matched;
  }
  return current;
}
