import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './command';

export const DEFAULT_CATALOG = 'catalog.yaml';
export const DEFAULT_STATE_DIR = '.lamina';

/** Parses a command's options with node's own parser; an unknown or malformed option is a UsageError. */
export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; see --help`);
  }
}

/**
 * `a,b` and repeated flags alike become one list; undefined when the option is absent. An option given with
 * nothing in it (`--regions ""`) is a UsageError, never "all": an empty variable in a script must not widen a run.
 */
export function listOption(value: string | string[] | undefined, option: string, example: string): string[] | undefined {
  if (value === undefined) return undefined;
  const items = (Array.isArray(value) ? value : [value]).flatMap((item) => item.split(',')).map((item) => item.trim()).filter(Boolean);
  if (items.length === 0) throw new UsageError(`--${option} is empty: name at least one (e.g. --${option} ${example}), or leave the option out`);
  return items;
}

/** Renders rows as an aligned plain-text table. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => (cell ?? '').padEnd(widths[column])).join('  ').trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
