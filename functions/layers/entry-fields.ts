/**
 * The catalog fields several kinds share, each with one rule and one message: an entry's name, its runtimes and its
 * architectures. A kind describes the field for its own entries (what the name becomes, what one runtime means).
 */
import { z } from 'zod';
import { ARCHITECTURES } from './kind';

/** True when no value of `list` appears twice. */
export const unique = <T>(list: readonly T[]): boolean => new Set(list).size === list.length;

/**
 * An entry's name: at most 64 characters, so that a prefix (at most 40) and any kind's runtime and architecture
 * tags still fit the 140 characters of an AWS layer name (functions/catalog/catalog.ts checks the names it makes).
 */
export function entryNameField(description: string) {
  return z
    .string()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$/, 'an entry name is 1-64 letters, digits, - or _, the first a letter or digit: it becomes part of the AWS layer name')
    .describe(description);
}

/** The Lambda runtimes an entry builds for, one layer each: at least one, none twice. */
export function runtimesField<const Ids extends readonly [string, ...string[]]>(ids: Ids, description: string) {
  return z
    .array(z.enum(ids, { error: `runtime must be one of ${ids.join(', ')}` }))
    .min(1, `list at least one runtime (${ids.join(', ')})`)
    .refine(unique, 'runtimes are listed twice')
    .describe(description);
}

/** The architectures an entry builds for, one layer each: at least one, none twice. */
export function architecturesField(description = 'Architectures; one layer each') {
  return z
    .array(z.enum(ARCHITECTURES, { error: 'architecture must be x86_64 or arm64' }))
    .min(1, 'list at least one architecture (x86_64, arm64)')
    .refine(unique, 'architectures are listed twice')
    .describe(description);
}
