import { Architecture, Runtime } from '@aws-sdk/client-lambda';
import { validationError } from './errors';

let runtimes: readonly string[] | undefined;
let architectures: readonly string[] | undefined;
// Read from the SDK on first use, not when the module loads: every `lamina` command loads this module, and
// loading @aws-sdk/client-lambda is most of a `lamina --help`.
/** Runtime identifiers Lambda accepts in CompatibleRuntimes (the SDK's Runtime enum, deprecated ones included). */
export const lambdaRuntimes = (): readonly string[] => (runtimes ??= Object.values(Runtime));
export const lambdaArchitectures = (): readonly string[] => (architectures ??= Object.values(Architecture));

// Patterns as the Lambda API reference writes them; they are matched against the whole value.
export const LAYER_NAME_PATTERN = '(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+';
export const LAYER_VERSION_ARN_PATTERN =
  '(arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)';
export const STATEMENT_ID_PATTERN = '([a-zA-Z0-9-_]+)';
export const ACTION_PATTERN = 'lambda:GetLayerVersion';
export const PRINCIPAL_PATTERN = '\\d{12}|\\*|arn:(aws[a-zA-Z-]*):iam::\\d{12}:root';
export const ORGANIZATION_ID_PATTERN = 'o-[a-z0-9]{10,32}';

export const LIMITS = {
  layerName: 140,
  description: 256,
  licenseInfo: 512,
  compatibleRuntimes: 15,
  compatibleArchitectures: 2,
  statementId: 100,
  action: 22,
  organizationId: 34,
  maxItems: 50,
  /** Unzipped size of one layer (the limit for a function and all its layers). */
  unzippedBytes: 262144000,
  /** Resource-based policy of one layer version. */
  policyBytes: 20480,
} as const;

const fullMatch = (pattern: string) => new RegExp(`^(?:${pattern})$`);
const show = (value: unknown) => (Array.isArray(value) ? `[${value.join(', ')}]` : String(value));

/** Collects constraint violations of one request so they are reported together, as Lambda does. */
export class Violations {
  private readonly list: string[] = [];

  private add(field: string, value: unknown, constraint: string): void {
    this.list.push(`Value '${show(value)}' at '${field}' failed to satisfy constraint: ${constraint}`);
  }

  required(field: string, value: unknown): boolean {
    if (value !== undefined && value !== null) return true;
    this.list.push(`Value null at '${field}' failed to satisfy constraint: Member must not be null`);
    return false;
  }

  string(field: string, value: unknown, options: { min?: number; max?: number; pattern?: string }): void {
    if (value === undefined || value === null) return;
    if (typeof value !== 'string') {
      this.add(field, value, 'Member must be a string');
      return;
    }
    if (options.min !== undefined && value.length < options.min) {
      this.add(field, value, `Member must have length greater than or equal to ${options.min}`);
    }
    if (options.max !== undefined && value.length > options.max) {
      this.add(field, value, `Member must have length less than or equal to ${options.max}`);
    }
    if (options.pattern !== undefined && value.length > 0 && !fullMatch(options.pattern).test(value)) {
      this.add(field, value, `Member must satisfy regular expression pattern: ${options.pattern}`);
    }
  }

  enumValue(field: string, value: unknown, allowed: readonly string[]): void {
    if (value === undefined || value === null) return;
    if (typeof value !== 'string' || !allowed.includes(value)) {
      this.add(field, value, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
    }
  }

  enumList(field: string, value: unknown, allowed: readonly string[], max: number): void {
    if (value === undefined || value === null) return;
    if (!Array.isArray(value)) {
      this.add(field, value, 'Member must be a list');
      return;
    }
    if (value.length > max) this.add(field, value, `Member must have length less than or equal to ${max}`);
    if (value.some((item) => typeof item !== 'string' || !allowed.includes(item))) {
      this.add(field, value, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
    }
  }

  integer(field: string, value: number | undefined, options: { min?: number; max?: number }): void {
    if (value === undefined) return;
    if (!Number.isInteger(value)) this.add(field, value, 'Member must be an integer');
    else if (options.min !== undefined && value < options.min) {
      this.add(field, value, `Member must have value greater than or equal to ${options.min}`);
    } else if (options.max !== undefined && value > options.max) {
      this.add(field, value, `Member must have value less than or equal to ${options.max}`);
    }
  }

  /** Throws one ValidationException listing every violation, if there is any. */
  throwIfAny(): void {
    if (this.list.length > 0) throw validationError(this.list);
  }
}

/** A layer named by its name or by its (unversioned) ARN. */
export interface LayerReference {
  name: string;
  /** Region and account when the reference was an ARN. */
  region?: string;
  accountId?: string;
}

/** Reads a LayerName parameter that already satisfied LAYER_NAME_PATTERN. */
export function parseLayerName(value: string): LayerReference {
  const match = /^arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+)$/.exec(value);
  return match ? { name: match[3], region: match[1], accountId: match[2] } : { name: value };
}

/** Reads a layer version ARN that already satisfied LAYER_VERSION_ARN_PATTERN (awslayer ARNs give undefined). */
export function parseLayerVersionArn(value: string): (LayerReference & { version: number }) | undefined {
  const match = /^arn:[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+):(\d+)$/.exec(value);
  if (!match) return undefined;
  return { region: match[1], accountId: match[2], name: match[3], version: Number(match[4]) };
}

export const layerArn = (region: string, accountId: string, name: string) => `arn:aws:lambda:${region}:${accountId}:layer:${name}`;

export const layerVersionArn = (region: string, accountId: string, name: string, version: number) =>
  `${layerArn(region, accountId, name)}:${version}`;
