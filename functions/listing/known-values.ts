import { ARCHITECTURES } from '../layers/kind';
import { PYTHON_RUNTIME_IDS } from '../layers/python/lambda-runtimes';
import { LAMBDA_REGIONS } from '../regions/lambda-regions';

/**
 * The values a listing filter may take. They are checked here, with no DynamoDB call, so a typo gets a 400 that
 * names the valid values instead of an empty list.
 */

export const LISTING_REGIONS: readonly string[] = LAMBDA_REGIONS;

export const LISTING_ARCHITECTURES: readonly string[] = ARCHITECTURES;

/**
 * Lambda runtime identifiers a layer may declare as compatible (CompatibleRuntimes), current ones only. Python's
 * come from the table the python kind builds against, so a new Python version appears here by itself.
 */
export const LISTING_RUNTIMES: readonly string[] = [
  'provided.al2023',
  'provided.al2',
  ...PYTHON_RUNTIME_IDS,
  'nodejs18.x',
  'nodejs20.x',
  'nodejs22.x',
  'nodejs24.x',
  'java8.al2',
  'java11',
  'java17',
  'java21',
  'java25',
  'dotnet8',
  'dotnet10',
  'ruby3.2',
  'ruby3.3',
  'ruby3.4',
];

/**
 * Layer kinds, by name. The API bundle does not import the kinds themselves (they carry the build code); a unit
 * test keeps this list equal to functions/layers/kinds.ts.
 */
export const LISTING_KINDS: readonly string[] = ['bash-runtime', 'files', 'node-runtime', 'npm', 'python'];

export const LISTING_FORMATS = ['json', 'csv', 'html'] as const;
export type ListingFormat = (typeof LISTING_FORMATS)[number];

export { LAYER_NAME } from '../layers/limits';

/** A name filter is a fragment of a layer name, so it takes the same characters. */
export const NAME_FILTER = /^[a-zA-Z0-9_-]{1,140}$/;

export const SHA256_HEX = /^[0-9a-f]{64}$/;

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
