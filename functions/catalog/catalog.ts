import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { LAYER_KINDS } from '../layers/kinds';
import { LaminaError, type KindSettings, type LayerTarget } from '../layers/kind';
import { LAYER_NAME } from '../layers/limits';
import { entryNameField } from '../layers/entry-fields';
import { settingsSchema, type Settings } from './settings';

/** One catalog entry: its name and kind, plus the fields its kind defines. */
export interface CatalogEntry {
  name: string;
  kind: string;
  [field: string]: unknown;
}

export interface Catalog {
  file: string;
  /** The folder the catalog file is in, when it was read from disk: entries' repository paths are relative to it. */
  dir?: string;
  settings: Settings;
  layers: CatalogEntry[];
}

export interface CatalogProblem {
  /** Where in the file: `settings.regions`, `layers[2] (node12).version`... */
  where: string;
  message: string;
}

/** An invalid catalog: names the file, each entry and field at fault, and what is allowed there. */
export class CatalogError extends LaminaError {
  constructor(
    readonly file: string,
    readonly problems: CatalogProblem[],
  ) {
    super(
      `${file} is not a valid catalog:\n${problems.map((problem) => `  - ${problem.where}: ${problem.message}`).join('\n')}`,
      'CatalogError',
    );
  }
}

/**
 * The most targets (layer × runtime × architecture) one catalog may expand into: what one run of the pipeline is
 * built to keep in every region (10,000 layers × 34 regions, each region audited on a rotating share per run).
 */
export const MAX_CATALOG_TARGETS = 10_000;

const baseEntrySchema = z.looseObject({
  name: entryNameField('Entry name'),
  kind: z.enum(LAYER_KINDS.map((kind) => kind.kind) as [string, ...string[]]),
});

const documentSchema = z.strictObject({
  settings: z.unknown().optional(),
  layers: z
    .array(z.unknown())
    .min(1, 'a catalog lists at least one layer')
    .max(MAX_CATALOG_TARGETS, `at most ${MAX_CATALOG_TARGETS} entries (and layers) per catalog; split it into catalogs with their own prefix and deployment`),
});

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return `missing: this field is required (${issue.expected})`;
  if (issue.code === 'invalid_value') return `not an allowed value (allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')})`;
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}; remove them or check their spelling`;
  return issue.message;
}

function pathText(where: string, path: readonly PropertyKey[]): string {
  return [where, ...path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`))].join('').replace(/^\./, '');
}

function problemsOf(issues: readonly z.core.$ZodIssue[], where: string): CatalogProblem[] {
  return issues.flatMap((issue) => {
    // A union (e.g. "all" or a list of regions) fails as a whole; the branch that got furthest says what is wrong.
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const depth = (branch: readonly z.core.$ZodIssue[]) => Math.max(0, ...branch.map((inner) => inner.path.length));
      const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0];
      if (depth(best) > 0) return problemsOf(best, pathText(where, issue.path));
    }
    return [{ where: pathText(where, issue.path) || 'top level', message: describeIssue(issue) }];
  });
}

/** Validates a parsed catalog document; `file` only names it in errors. */
export function validateCatalog(document: unknown, file: string): Catalog {
  if (document === null || document === undefined) {
    throw new CatalogError(file, [{ where: 'file', message: 'the file is empty: a catalog lists at least one layer under `layers:` (see catalog.yaml or examples/ in the lamina repository)' }]);
  }
  const top = documentSchema.safeParse(document);
  if (!top.success) throw new CatalogError(file, problemsOf(top.error.issues, ''));
  const problems: CatalogProblem[] = [];
  const settings = settingsSchema.safeParse(top.data.settings ?? {});
  if (!settings.success) problems.push(...problemsOf(settings.error.issues, 'settings'));

  const layers: CatalogEntry[] = [];
  const seen = new Map<string, number>();
  top.data.layers.forEach((raw, index) => {
    const base = baseEntrySchema.safeParse(raw);
    const label = `layers[${index}]`;
    if (!base.success) {
      problems.push(...problemsOf(base.error.issues, label));
      return;
    }
    const where = `${label} (${base.data.name})`;
    if (seen.has(base.data.name)) {
      problems.push({ where: `${where}.name`, message: `duplicate name: layers[${seen.get(base.data.name)}] is named the same; names must be unique` });
    }
    seen.set(base.data.name, index);
    const kind = LAYER_KINDS.find((candidate) => candidate.kind === base.data.kind)!;
    const entry = kind.entrySchema.safeParse(raw);
    if (!entry.success) problems.push(...problemsOf(entry.error.issues, where));
    else layers.push(entry.data as CatalogEntry);
  });
  if (problems.length > 0 || !settings.success) throw new CatalogError(file, problems);
  return { file, settings: settings.data, layers };
}

/** Parses catalog text (YAML, of which JSON is a subset). */
export function parseCatalog(text: string, file: string): Catalog {
  let document: unknown;
  try {
    document = YAML.parse(text, { prettyErrors: true });
  } catch (error) {
    throw new CatalogError(file, [{ where: 'file', message: `not valid YAML or JSON: ${(error as Error).message}` }]);
  }
  return validateCatalog(document, file);
}

/** The path as a person would type it: relative below the working folder, absolute elsewhere. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : path.resolve(file);
}

export async function loadCatalog(file: string): Promise<Catalog> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new CatalogError(displayPath(file), [
      { where: 'file', message: `cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); pass a catalog path with --catalog` },
    ]);
  }
  return { ...parseCatalog(text, displayPath(file)), dir: path.dirname(path.resolve(file)) };
}

export function kindSettings(settings: Settings, catalogDir?: string): KindSettings {
  return {
    ...(catalogDir ? { catalogDir } : {}),
    prefix: settings.prefix,
    pythonIndexUrl: settings.pythonIndexUrl,
    nodeDistUrl: settings.nodeDistUrl,
    npmRegistryUrl: settings.npmRegistryUrl,
  };
}

/** Expands every entry into its targets; two targets with one layer name, or an invalid name, fail the catalog. */
export function expandCatalog(catalog: Catalog, only?: string[]): LayerTarget[] {
  const entries = only ? catalog.layers.filter((entry) => only.includes(entry.name)) : catalog.layers;
  const targets: LayerTarget[] = [];
  const problems: CatalogProblem[] = [];
  const owners = new Map<string, string>();
  for (const entry of entries) {
    const kind = LAYER_KINDS.find((candidate) => candidate.kind === entry.kind)!;
    for (const target of kind.expand(entry, kindSettings(catalog.settings, catalog.dir))) {
      if (!LAYER_NAME.test(target.layerName)) {
        problems.push({ where: `layers (${entry.name})`, message: `layer name ${target.layerName} is not 1-140 of [a-zA-Z0-9-_]; shorten the entry name or the prefix` });
      }
      const owner = owners.get(target.layerName);
      if (owner) problems.push({ where: `layers (${entry.name})`, message: `layer name ${target.layerName} is also produced by ${owner}; rename one entry` });
      owners.set(target.layerName, entry.name);
      targets.push(target);
    }
  }
  if (targets.length > MAX_CATALOG_TARGETS) {
    problems.push({
      where: 'layers',
      message: `${entries.length} entries expand into ${targets.length} layers (runtime × architecture), over lamina's limit of ${MAX_CATALOG_TARGETS} per catalog; split it into catalogs with their own prefix and deployment`,
    });
  }
  if (problems.length > 0) throw new CatalogError(catalog.file, problems);
  return targets;
}

/** The catalog's JSON Schema, for editors (`lamina schema` writes it to schema/catalog.schema.json). */
export function catalogJsonSchema(): unknown {
  const entries = LAYER_KINDS.map((kind) => kind.entrySchema);
  const document = z.strictObject({
    settings: settingsSchema.optional(),
    layers: z.array(entries.length === 1 ? entries[0] : z.union(entries as [z.ZodType, z.ZodType, ...z.ZodType[]])).min(1),
  });
  return {
    ...z.toJSONSchema(document, { io: 'input', unrepresentable: 'any' }),
    title: 'lamina catalog',
  };
}
