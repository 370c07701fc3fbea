import * as pep440 from '@renovatebot/pep440';
import { isValidSpecifier } from './pep440';

/**
 * PEP 508 dependency specifiers: `name[extra,...] (specifier) ; marker`, and the evaluation of environment markers
 * for a target environment (not the machine that runs lamina).
 */

export type MarkerNode =
  | { type: 'and' | 'or'; left: MarkerNode; right: MarkerNode }
  | { type: 'compare'; left: MarkerValue; op: string; right: MarkerValue };

export type MarkerValue = { kind: 'variable'; name: string } | { kind: 'string'; value: string };

export interface Requirement {
  /** The name as written. */
  name: string;
  /** PEP 503 normalized name, the identity of a project. */
  key: string;
  /** PEP 685 normalized extras. */
  extras: string[];
  /** The version specifier set as written (clauses joined by `,`), `''` for any version. */
  specifier: string;
  marker?: MarkerNode;
  /** The original text, for messages. */
  text: string;
}

/** The values markers are evaluated against. */
export type MarkerEnvironment = Record<string, string>;

export class RequirementSyntaxError extends Error {
  constructor(
    readonly requirement: string,
    readonly reason: string,
  ) {
    super(`invalid requirement ${JSON.stringify(requirement)}: ${reason}`);
    this.name = 'RequirementSyntaxError';
  }
}

const MARKER_VARIABLES = new Set([
  'python_version',
  'python_full_version',
  'os_name',
  'sys_platform',
  'platform_release',
  'platform_system',
  'platform_version',
  'platform_machine',
  'platform_python_implementation',
  'implementation_name',
  'implementation_version',
  'extra',
  // Legacy spellings from PEP 345 that packaging still accepts.
  'os.name',
  'sys.platform',
  'platform.version',
  'platform.machine',
  'platform.python_implementation',
  'python_implementation',
]);

const LEGACY_VARIABLES: Record<string, string> = {
  'os.name': 'os_name',
  'sys.platform': 'sys_platform',
  'platform.version': 'platform_version',
  'platform.machine': 'platform_machine',
  'platform.python_implementation': 'platform_python_implementation',
  python_implementation: 'platform_python_implementation',
};

/** PEP 503 name normalization: runs of `-`, `_`, `.` become one `-`, lowercase. */
export function normalizeName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/** PEP 685 extra normalization (the same rule as names). */
export function normalizeExtra(extra: string): string {
  return normalizeName(extra);
}

const NAME = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)/;

class Cursor {
  pos = 0;
  constructor(
    readonly text: string,
    readonly requirement: string,
  ) {}
  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }
  peek(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }
  eat(s: string): boolean {
    if (!this.peek(s)) return false;
    this.pos += s.length;
    return true;
  }
  done(): boolean {
    return this.pos >= this.text.length;
  }
  fail(reason: string): never {
    throw new RequirementSyntaxError(this.requirement, `${reason} at position ${this.pos + 1}`);
  }
}

/** Parses one PEP 508 requirement. Direct URL requirements (`name @ url`) are refused: lamina installs from an index. */
export function parseRequirement(text: string): Requirement {
  const source = text.trim();
  if (source === '') throw new RequirementSyntaxError(text, 'it is empty');
  const semicolon = findMarkerStart(source);
  const head = semicolon === -1 ? source : source.slice(0, semicolon);
  const markerText = semicolon === -1 ? undefined : source.slice(semicolon + 1);
  const cursor = new Cursor(head, text);
  cursor.skipSpace();
  const nameMatch = NAME.exec(head.slice(cursor.pos));
  if (!nameMatch) return cursor.fail('expected a package name');
  const name = nameMatch[1];
  cursor.pos += name.length;
  cursor.skipSpace();
  const extras: string[] = [];
  if (cursor.eat('[')) {
    cursor.skipSpace();
    while (!cursor.eat(']')) {
      const extraMatch = NAME.exec(head.slice(cursor.pos));
      if (!extraMatch) return cursor.fail('expected an extra name');
      extras.push(normalizeExtra(extraMatch[1]));
      cursor.pos += extraMatch[1].length;
      cursor.skipSpace();
      if (cursor.eat(',')) {
        cursor.skipSpace();
        continue;
      }
      if (!cursor.peek(']')) cursor.fail("expected ',' or ']' in the extras");
    }
    cursor.skipSpace();
  }
  if (cursor.peek('@')) {
    throw new RequirementSyntaxError(text, 'direct URL requirements are not supported; publish the wheel on a package index and name it by version');
  }
  let specifierText = head.slice(cursor.pos).trim();
  if (specifierText.startsWith('(')) {
    if (!specifierText.endsWith(')')) throw new RequirementSyntaxError(text, "unbalanced '(' in the version specifier");
    specifierText = specifierText.slice(1, -1).trim();
  }
  const specifier = specifierText
    .split(',')
    .map((clause) => clause.replace(/\s+/g, ''))
    .filter(Boolean)
    .join(',');
  if (specifierText !== '' && (specifier === '' || !/^(===|~=|==|!=|<=|>=|<|>)/.test(specifier) || !isValidSpecifier(specifier))) {
    throw new RequirementSyntaxError(text, `${JSON.stringify(specifierText)} is not a valid PEP 440 version specifier`);
  }
  const requirement: Requirement = { name, key: normalizeName(name), extras: [...new Set(extras)].sort(), specifier, text: source };
  if (markerText !== undefined) {
    if (markerText.trim() === '') throw new RequirementSyntaxError(text, "expected a marker after ';'");
    requirement.marker = parseMarker(markerText, text);
  }
  return requirement;
}

/** Finds the `;` that starts the marker, ignoring any inside quotes. */
function findMarkerStart(source: string): number {
  let quote: string | null = null;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ';') return i;
  }
  return -1;
}

/** Parses a PEP 508 marker expression (`python_version >= "3.8" and extra == "socks"`). */
export function parseMarker(text: string, requirement = text): MarkerNode {
  const cursor = new Cursor(text, requirement);
  const node = parseOr(cursor);
  cursor.skipSpace();
  if (!cursor.done()) cursor.fail('unexpected text in the marker');
  return node;
}

function keyword(cursor: Cursor, word: string): boolean {
  cursor.skipSpace();
  if (!cursor.peek(word)) return false;
  const after = cursor.text[cursor.pos + word.length];
  if (after !== undefined && /[A-Za-z0-9_.]/.test(after)) return false;
  cursor.pos += word.length;
  return true;
}

function parseOr(cursor: Cursor): MarkerNode {
  let left = parseAnd(cursor);
  while (keyword(cursor, 'or')) left = { type: 'or', left, right: parseAnd(cursor) };
  return left;
}

function parseAnd(cursor: Cursor): MarkerNode {
  let left = parseAtom(cursor);
  while (keyword(cursor, 'and')) left = { type: 'and', left, right: parseAtom(cursor) };
  return left;
}

function parseAtom(cursor: Cursor): MarkerNode {
  cursor.skipSpace();
  if (cursor.eat('(')) {
    const inner = parseOr(cursor);
    cursor.skipSpace();
    if (!cursor.eat(')')) cursor.fail("expected ')' in the marker");
    return inner;
  }
  const left = parseValue(cursor);
  cursor.skipSpace();
  let op: string | undefined;
  for (const candidate of ['===', '~=', '==', '!=', '<=', '>=', '<', '>']) {
    if (cursor.eat(candidate)) {
      op = candidate;
      break;
    }
  }
  if (!op) {
    if (keyword(cursor, 'in')) op = 'in';
    else if (keyword(cursor, 'not')) {
      if (!keyword(cursor, 'in')) cursor.fail("expected 'in' after 'not'");
      op = 'not in';
    } else cursor.fail('expected a marker operator (==, !=, <, >=, in, not in, ...)');
  }
  const right = parseValue(cursor);
  if (left.kind === 'string' && right.kind === 'string') cursor.fail('a marker compares a variable with a string, found two strings');
  return { type: 'compare', left, op, right };
}

function parseValue(cursor: Cursor): MarkerValue {
  cursor.skipSpace();
  const quote = cursor.text[cursor.pos];
  if (quote === '"' || quote === "'") {
    const end = cursor.text.indexOf(quote, cursor.pos + 1);
    if (end === -1) cursor.fail('unterminated string in the marker');
    const value = cursor.text.slice(cursor.pos + 1, end);
    cursor.pos = end + 1;
    return { kind: 'string', value };
  }
  const match = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(cursor.text.slice(cursor.pos));
  if (!match || !MARKER_VARIABLES.has(match[0])) cursor.fail(`unknown marker variable ${match ? JSON.stringify(match[0]) : ''}`.trim());
  cursor.pos += match[0].length;
  return { kind: 'variable', name: LEGACY_VARIABLES[match[0]] ?? match[0] };
}

/** Evaluates a marker for an environment; `extra` is compared PEP 685-normalized. */
export function evaluateMarker(node: MarkerNode, env: MarkerEnvironment): boolean {
  if (node.type !== 'compare') {
    return node.type === 'and' ? evaluateMarker(node.left, env) && evaluateMarker(node.right, env) : evaluateMarker(node.left, env) || evaluateMarker(node.right, env);
  }
  const isExtra = (value: MarkerValue) => value.kind === 'variable' && value.name === 'extra';
  const extraComparison = isExtra(node.left) || isExtra(node.right);
  const valueOf = (value: MarkerValue): string => {
    const raw = value.kind === 'string' ? value.value : (env[value.name] ?? '');
    return extraComparison ? normalizeExtra(raw) : raw;
  };
  return compare(valueOf(node.left), node.op, valueOf(node.right));
}

/** packaging's rule: a PEP 440 comparison when the right side is a valid specifier, else a string comparison. */
function compare(lhs: string, op: string, rhs: string): boolean {
  if (op === 'in') return rhs.includes(lhs);
  if (op === 'not in') return !rhs.includes(lhs);
  if (pep440.valid(lhs) !== null && pep440.validRange(`${op}${rhs}`)) {
    return pep440.satisfies(lhs, `${op}${rhs}`, { prereleases: true });
  }
  switch (op) {
    case '==':
    case '===':
      return lhs === rhs;
    case '!=':
      return lhs !== rhs;
    case '<':
      return lhs < rhs;
    case '<=':
      return lhs <= rhs;
    case '>':
      return lhs > rhs;
    case '>=':
      return lhs >= rhs;
    default:
      return false;
  }
}

/** Renders a marker back to PEP 508 text (normalized spacing), for messages. */
export function formatMarker(node: MarkerNode): string {
  if (node.type !== 'compare') {
    const side = (child: MarkerNode) => (child.type === 'or' && node.type === 'and' ? `(${formatMarker(child)})` : formatMarker(child));
    return `${side(node.left)} ${node.type} ${side(node.right)}`;
  }
  const value = (v: MarkerValue) => (v.kind === 'string' ? JSON.stringify(v.value) : v.name);
  return `${value(node.left)} ${node.op} ${value(node.right)}`;
}

/** True when the requirement applies in `env` for any of `extras` (an empty list means "no extra"). */
export function requirementApplies(requirement: Requirement, env: MarkerEnvironment, extras: string[] = []): boolean {
  if (!requirement.marker) return true;
  const marker = requirement.marker;
  const candidates = extras.length > 0 ? extras : [''];
  return candidates.some((extra) => evaluateMarker(marker, { ...env, extra }));
}
