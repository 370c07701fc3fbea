import { compareVersions, filterVersions, isPinningClause, satisfiesAll, specifierClauses } from './pep440';
import { requirementApplies, type MarkerEnvironment, type Requirement } from './pep508';

/**
 * A backtracking dependency resolver for Python requirements (extras, markers, pre-release and yanked policy as
 * pip applies them) with conflict-directed backjumping. It knows nothing about HTTP or wheels: a provider supplies
 * candidate versions and their dependencies.
 */

/** One installable version of a project, as the provider sees it. */
export interface Candidate {
  version: string;
  /** PEP 592: yanked files are only chosen when pinned and nothing else matches. */
  yanked: boolean;
}

/** What the resolver needs from the outside world. */
export interface ResolverProvider<C extends Candidate> {
  /** Every version usable on the target (compatible file, Requires-Python), any order. */
  candidates(key: string): Promise<C[]>;
  /**
   * The Requires-Dist of one candidate, unevaluated; or `{ unusable }` when the candidate turns out not to fit the
   * target (e.g. its metadata says Requires-Python >=3.13).
   */
  dependencies(key: string, candidate: C): Promise<{ requires: Requirement[] } | { unusable: string }>;
  /**
   * Why no candidate satisfies `clauses`, for error messages: no such version at all (`no-version`), or versions
   * that exist but have no file the target can use (`no-wheel`).
   */
  explainNoCandidates?(key: string, clauses: string[], considered: C[]): Promise<Explanation>;
  /** Optional hint that `key` will be needed soon, so the provider can start fetching it. */
  prefetch?(key: string): void;
}

export interface ResolveOptions {
  /** The marker environment of the target. */
  environment: MarkerEnvironment;
  /** Accept pre-releases everywhere (otherwise only when a requirement names one, or nothing else matches). */
  prereleases?: boolean;
  /** Gives up after this many candidate visits (default 20000). */
  maxRounds?: number;
}

/** One chosen distribution. */
export interface Resolution<C extends Candidate> {
  key: string;
  candidate: C;
  /** Extras requested of it. */
  extras: string[];
  /** Keys of the distributions it depends on in this resolution. */
  dependencies: string[];
  /** True when a root requirement names it. */
  direct: boolean;
}

/** A requirement together with what asked for it. */
export interface Constraint {
  requirement: Requirement;
  /** `null` for the catalog entry itself; else the key of the distribution whose metadata states it. */
  parent: string | null;
  /** `requests 2.32.3`, or `the entry`. */
  by: string;
}

export interface Explanation {
  reason: 'no-version' | 'no-wheel';
  /** A sentence (or a few) that says what is missing. */
  text: string;
  /** What to do about it; said once per message however many conflicts share it. */
  advice?: string;
}

/** A set of requirements on one project that no candidate satisfies. */
export interface Conflict {
  key: string;
  constraints: Constraint[];
  /** The provider's explanation of why no candidate fits. */
  detail?: Explanation;
}

/** Raised when the requirements cannot be satisfied; `conflicts` say which requirement fights which. */
export class ResolutionImpossible extends Error {
  constructor(
    readonly conflicts: Conflict[],
    message: string,
  ) {
    super(message);
    this.name = 'ResolutionImpossible';
  }
}

interface Pin<C> {
  candidate: C;
  requires: Requirement[];
}

interface State<C> {
  pins: Map<string, Pin<C>>;
  constraints: Map<string, Constraint[]>;
  /** Extras whose requirements were added for a pinned key. */
  expanded: Map<string, Set<string>>;
  depth: Map<string, number>;
  order: Map<string, number>;
}

type Outcome<C> = { ok: State<C> } | { fail: Set<string>; conflict: Conflict };

function describe(constraint: Constraint): string {
  const text = constraint.requirement.text;
  return constraint.parent === null ? `${text} (the entry)` : `${text} (required by ${constraint.by})`;
}

/** One sentence per conflict that a person can act on. */
export function formatConflict(conflict: Conflict): string {
  const { constraints, detail, key } = conflict;
  if (constraints.length === 1) {
    return `${describe(constraints[0])} cannot be installed: ${detail ? detail.text : `no version of ${key} fits`}`;
  }
  // Versions that satisfy every requirement exist but have no wheel for the target: the cause is the missing
  // wheel, not a disagreement between the requirements, so say that first.
  if (detail?.reason === 'no-wheel') return `no compatible wheel of ${key} for ${constraints.map(describe).join(' and ')}: ${detail.text}`;
  return `${constraints.map(describe).join(' and ')} leave no version of ${key}.`;
}

/** True when the failure comes from requirements that disagree, rather than from one that cannot be met. */
export function isDisagreement(conflicts: Conflict[]): boolean {
  return conflicts.some((c) => c.constraints.length > 1 && c.detail?.reason !== 'no-wheel');
}

/** The conflicts' sentences, then each distinct piece of advice once. */
function messageOf(conflicts: Conflict[]): string {
  const advice = [...new Set(conflicts.map((c) => c.detail?.advice).filter((a): a is string => Boolean(a)))];
  return [conflicts.map(formatConflict).join(' Also: '), ...advice].join(' ');
}

function requestedExtras(constraints: Constraint[] | undefined): string[] {
  const extras = new Set<string>();
  for (const c of constraints ?? []) for (const e of c.requirement.extras) extras.add(e);
  return [...extras].sort();
}

function clausesOf(constraints: Constraint[] | undefined): string[] {
  return (constraints ?? []).flatMap((c) => specifierClauses(c.requirement.specifier));
}

function clone<C>(state: State<C>): State<C> {
  return {
    pins: new Map(state.pins),
    constraints: new Map(state.constraints),
    expanded: new Map(state.expanded),
    depth: new Map(state.depth),
    order: new Map(state.order),
  };
}

/**
 * Resolves `requirements` (root requirements whose markers do not apply are dropped) to one candidate per project.
 * Throws ResolutionImpossible with the conflicts found; provider errors (network, unknown package) pass through.
 */
export async function resolve<C extends Candidate>(requirements: Requirement[], provider: ResolverProvider<C>, options: ResolveOptions): Promise<Resolution<C>[]> {
  const env = options.environment;
  const maxRounds = options.maxRounds ?? 20000;
  let rounds = 0;
  const conflicts: Conflict[] = [];
  const candidateCache = new Map<string, Promise<C[]>>();
  const candidatesOf = (key: string) => {
    let found = candidateCache.get(key);
    if (!found) {
      // Sorted once, newest first: a project may be visited many times while backtracking.
      found = provider.candidates(key).then((list) => [...list].sort((a, b) => compareVersions(b.version, a.version)));
      candidateCache.set(key, found);
    }
    return found;
  };

  const initial: State<C> = { pins: new Map(), constraints: new Map(), expanded: new Map(), depth: new Map(), order: new Map() };
  let counter = 0;
  for (const requirement of requirements) {
    if (!requirementApplies(requirement, env)) continue;
    addConstraint(initial, { requirement, parent: null, by: 'the entry' }, 1);
    if (!initial.order.has(requirement.key)) initial.order.set(requirement.key, counter++);
  }

  function addConstraint(state: State<C>, constraint: Constraint, depth: number): void {
    const key = constraint.requirement.key;
    state.constraints.set(key, [...(state.constraints.get(key) ?? []), constraint]);
    state.depth.set(key, Math.min(state.depth.get(key) ?? Infinity, depth));
    if (!state.order.has(key)) state.order.set(key, state.order.size + 1000);
    if (!state.pins.has(key)) provider.prefetch?.(key);
  }

  function parentsOf(state: State<C>, key: string): string[] {
    return (state.constraints.get(key) ?? []).map((c) => c.parent).filter((p): p is string => p !== null);
  }

  /**
   * Adds a pinned project's requirements that apply for `extras`; returns the fail set when one contradicts an
   * existing pin.
   */
  function addRequirementsOf(state: State<C>, key: string, extras: string[], onlyExtras: boolean): Outcome<C> | null {
    const pin = state.pins.get(key)!;
    const by = `${key} ${pin.candidate.version}`;
    const depth = (state.depth.get(key) ?? 1) + 1;
    const already = new Set((onlyExtras ? requirementsFrom(state, key) : []).map((r) => r.text));
    for (const requirement of pin.requires) {
      const applies = onlyExtras
        ? extras.some((extra) => requirementApplies(requirement, env, [extra])) && !already.has(requirement.text)
        : requirementApplies(requirement, env, ['', ...extras]);
      if (!applies) continue;
      const constraint: Constraint = { requirement, parent: key, by };
      addConstraint(state, constraint, depth);
      const other = state.pins.get(requirement.key);
      if (other && !satisfiesAll(other.candidate.version, specifierClauses(requirement.specifier))) {
        const conflict: Conflict = { key: requirement.key, constraints: [...(state.constraints.get(requirement.key) ?? [])] };
        const fail = new Set([key, requirement.key, ...parentsOf(state, requirement.key), ...parentsOf(state, key)]);
        return { fail, conflict };
      }
    }
    return null;
  }

  function requirementsFrom(state: State<C>, parent: string): Requirement[] {
    const found: Requirement[] = [];
    for (const list of state.constraints.values()) for (const c of list) if (c.parent === parent) found.push(c.requirement);
    return found;
  }

  /** pip's preference: pinned (==) first, then the shallowest, then the order of the entry, then the name. */
  function pickNext(state: State<C>): { key: string; pinned: boolean } | null {
    for (const key of state.pins.keys()) {
      const wanted = requestedExtras(state.constraints.get(key));
      const done = state.expanded.get(key) ?? new Set();
      if (wanted.some((e) => !done.has(e))) return { key, pinned: true };
    }
    let best: { key: string; rank: [number, number, number, string] } | null = null;
    for (const [key, constraints] of state.constraints) {
      if (state.pins.has(key)) continue;
      const rank: [number, number, number, string] = [
        clausesOf(constraints).some(isPinningClause) ? 0 : 1,
        state.depth.get(key) ?? Infinity,
        state.order.get(key) ?? Infinity,
        key,
      ];
      if (!best || compareRank(rank, best.rank) < 0) best = { key, rank };
    }
    return best ? { key: best.key, pinned: false } : null;
  }

  async function search(state: State<C>): Promise<Outcome<C>> {
    const next = pickNext(state);
    if (!next) return { ok: state };
    const { key } = next;
    if (next.pinned) {
      const wanted = requestedExtras(state.constraints.get(key));
      const done = state.expanded.get(key) ?? new Set<string>();
      const fresh = wanted.filter((e) => !done.has(e));
      const nextState = clone(state);
      nextState.expanded.set(key, new Set([...done, ...fresh]));
      const failure = addRequirementsOf(nextState, key, fresh, true);
      if (failure) return failure;
      return search(nextState);
    }

    const constraints = state.constraints.get(key) ?? [];
    const clauses = clausesOf(constraints);
    const all = await candidatesOf(key);
    let matching = filterVersions(all, (c) => c.version, clauses, Boolean(options.prereleases));
    const pinned = clauses.some(isPinningClause);
    if (!(pinned && matching.length > 0 && matching.every((c) => c.yanked))) matching = matching.filter((c) => !c.yanked);

    const ownParents = parentsOf(state, key);
    if (matching.length === 0) {
      const detail = provider.explainNoCandidates ? await provider.explainNoCandidates(key, clauses, all) : undefined;
      const conflict: Conflict = { key, constraints, detail };
      conflicts.push(conflict);
      return { fail: new Set(ownParents), conflict };
    }

    const accumulated = new Set<string>(ownParents);
    let lastConflict: Conflict | undefined;
    for (const candidate of matching) {
      if (++rounds > maxRounds) {
        throw new ResolutionImpossible(conflicts, `gave up after trying ${maxRounds} candidates; pin some versions in the entry to narrow the search. Last conflicts: ${messageOf(conflicts.slice(-3))}`);
      }
      const deps = await provider.dependencies(key, candidate);
      if ('unusable' in deps) {
        lastConflict = { key, constraints, detail: { reason: 'no-wheel', text: `${key} ${candidate.version} ${deps.unusable}.` } };
        continue;
      }
      const nextState = clone(state);
      nextState.pins.set(key, { candidate, requires: deps.requires });
      const extras = requestedExtras(constraints);
      nextState.expanded.set(key, new Set(extras));
      const failure = addRequirementsOf(nextState, key, extras, false);
      const outcome = failure ?? (await search(nextState));
      if ('ok' in outcome) return outcome;
      if (failure && 'conflict' in failure) conflicts.push(failure.conflict);
      if (!outcome.fail.has(key)) return outcome;
      for (const k of outcome.fail) if (k !== key) accumulated.add(k);
      lastConflict = outcome.conflict;
    }
    return { fail: accumulated, conflict: lastConflict ?? { key, constraints } };
  }

  const outcome = await search(initial);
  if (!('ok' in outcome)) {
    const unique = new Map<string, Conflict>();
    for (const conflict of [outcome.conflict, ...conflicts.reverse()]) {
      const text = formatConflict(conflict);
      if (!unique.has(text)) unique.set(text, conflict);
    }
    const conflictsFound = [...unique.values()];
    throw new ResolutionImpossible(conflictsFound, messageOf(conflictsFound.slice(0, 2)));
  }
  const state = outcome.ok;
  const rootKeys = new Set(requirements.map((r) => r.key));
  return [...state.pins.entries()]
    .map(([key, pin]) => ({
      key,
      candidate: pin.candidate,
      extras: requestedExtras(state.constraints.get(key)),
      dependencies: [...new Set(requirementsFrom(state, key).map((r) => r.key))].filter((k) => k !== key).sort(),
      direct: rootKeys.has(key),
    }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function compareRank(a: [number, number, number, string], b: [number, number, number, string]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a[3] < b[3] ? -1 : a[3] > b[3] ? 1 : 0;
}
