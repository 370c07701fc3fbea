import { LambdaApiError } from './errors';

/** Makes matching requests fail the way Lambda fails them, e.g. a 429 TooManyRequestsException or a 500 ServiceException. */
export interface EmulatorFault {
  /** Only requests signed for this region; any region when absent. */
  region?: string;
  /** Only this operation, e.g. 'PublishLayerVersion'; any when absent. */
  operation?: string;
  /** Only requests about this layer (name, not ARN); any when absent. */
  layerName?: string;
  /** AWS error name the SDK will raise, e.g. 'TooManyRequestsException'. */
  errorType: string;
  statusCode: number;
  message?: string;
  /** How many matching requests fail; every one when absent. */
  times?: number;
  /** Retry-After header value for 429s (default 1). */
  retryAfterSeconds?: number;
}

/** What a request is about, for matching faults. */
export interface RequestTarget {
  region: string;
  operation: string;
  layerName?: string;
}

/** Checks one fault description, naming what is wrong with it. */
export function checkFault(value: unknown, where: string): EmulatorFault {
  const fault = value as Partial<EmulatorFault> | null;
  const problem = (text: string) => new Error(`Invalid emulator fault ${where}: ${text} (got ${JSON.stringify(value)}).`);
  if (typeof fault !== 'object' || fault === null || Array.isArray(fault)) throw problem('expected an object');
  if (typeof fault.errorType !== 'string' || fault.errorType === '') throw problem('errorType must be a non-empty string');
  if (!Number.isInteger(fault.statusCode) || fault.statusCode! < 400 || fault.statusCode! > 599) {
    throw problem('statusCode must be an HTTP error status (400-599)');
  }
  for (const key of ['region', 'operation', 'layerName', 'message'] as const) {
    if (fault[key] !== undefined && typeof fault[key] !== 'string') throw problem(`${key} must be a string`);
  }
  for (const key of ['times', 'retryAfterSeconds'] as const) {
    if (fault[key] !== undefined && (!Number.isInteger(fault[key]) || fault[key]! < 0)) {
      throw problem(`${key} must be a non-negative integer`);
    }
  }
  return { ...fault } as EmulatorFault;
}

/** Reads the JSON array of faults in LAMINA_EMULATOR_FAULTS (empty when unset). */
export function faultsFromEnvironment(env: NodeJS.ProcessEnv = process.env): EmulatorFault[] {
  const text = env.LAMINA_EMULATOR_FAULTS;
  if (!text || text.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`LAMINA_EMULATOR_FAULTS is not valid JSON (${(error as Error).message}); expected an array of fault objects.`);
  }
  if (!Array.isArray(parsed)) throw new Error('LAMINA_EMULATOR_FAULTS must be a JSON array of fault objects.');
  return parsed.map((item, index) => checkFault(item, `LAMINA_EMULATOR_FAULTS[${index}]`));
}

/** The injected faults of one emulator; the first matching fault wins and uses up one of its `times`. */
export class FaultInjector {
  private faults: EmulatorFault[] = [];

  add(fault: EmulatorFault): void {
    this.faults.push(checkFault(fault, 'passed to injectFault'));
  }

  clear(): void {
    this.faults = [];
  }

  /** Throws the error of the first fault matching `target`, if any. */
  check(target: RequestTarget): void {
    const fault = this.faults.find(
      (f) =>
        (f.region === undefined || f.region === target.region) &&
        (f.operation === undefined || f.operation === target.operation) &&
        (f.layerName === undefined || f.layerName === target.layerName) &&
        (f.times === undefined || f.times > 0),
    );
    if (!fault) return;
    if (fault.times !== undefined) fault.times -= 1;
    const message = fault.message ?? `Injected ${fault.errorType} for ${target.operation} in ${target.region}.`;
    const headers: Record<string, string> = {};
    const body: Record<string, unknown> = {};
    if (fault.statusCode === 429) {
      headers['Retry-After'] = String(fault.retryAfterSeconds ?? 1);
      body.Reason = 'CallerRateLimitExceeded';
    }
    throw new LambdaApiError(fault.errorType, fault.statusCode, message, headers, body);
  }
}
