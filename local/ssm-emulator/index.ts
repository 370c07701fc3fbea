import * as path from 'node:path';
import { AwsServiceError, startJsonService, type JsonService } from '../aws-protocol/json-service';
import { Journal } from '../state-folder/journal';

/**
 * A stand-in for the SSM Parameter Store operations lamina uses (PutParameter, GetParameter, GetParameters,
 * GetParametersByPath, DeleteParameter), on AWS's JSON 1.1 protocol with its shapes, errors and Standard-tier limits,
 * one parameter space per region (from the request's signature). State is kept across restarts as a snapshot
 * (`parameters.json`) plus a journal of changed parameters (`../state-folder/journal.ts`), keyed `<region>:<name>`.
 */

export interface StoredParameter {
  Name: string;
  Type: 'String' | 'StringList' | 'SecureString';
  Value: string;
  Version: number;
  LastModifiedDate: number;
  Description?: string;
}

export interface SsmEmulator extends JsonService {
  /** Every parameter of a region (all regions when absent), by name. */
  parameters(region?: string): Promise<(StoredParameter & { region: string })[]>;
}

/** Standard tier: 10,000 parameters per account and region, values up to 4 KB, 15 levels of hierarchy. */
export const SSM_LIMITS = { parametersPerRegion: 10_000, valueBytes: 4096, nameLength: 1011, hierarchyLevels: 15 } as const;

const NAME = /^[a-zA-Z0-9_.\-/]+$/;
const TYPES = ['String', 'StringList', 'SecureString'];

const validation = (message: string) => new AwsServiceError('ValidationException', message);

function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) throw validation("1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null");
  if (name.length > SSM_LIMITS.nameLength) throw validation(`1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must have length less than or equal to ${SSM_LIMITS.nameLength}`);
  if (!NAME.test(name)) throw validation('Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol "/". Valid example: /get/parameters2-/by1./path0_.');
  const first = name.replace(/^\//, '').split('/')[0].toLowerCase();
  if (first.startsWith('aws') || first.startsWith('ssm')) throw validation(`No access to reserved parameter name: ${name}.`);
  if (name.includes('/') && !name.startsWith('/')) throw validation('Parameter name must be a fully qualified name.');
  if (name.split('/').length - 1 > SSM_LIMITS.hierarchyLevels) {
    throw new AwsServiceError('HierarchyLevelLimitExceededException', `A hierarchy can have a maximum of ${SSM_LIMITS.hierarchyLevels} levels.`);
  }
  return name;
}

export async function startSsmEmulator(options: { dataDir: string; accountId?: string; defaultRegion?: string }): Promise<SsmEmulator> {
  const account = options.accountId ?? '000000000000';
  // Parameter names have no ':' and regions none either, so `<region>:<name>` is a key the journal can split.
  const state = new Map<string, Map<string, StoredParameter>>();
  const regionOf = (region: string) => {
    let parameters = state.get(region);
    if (!parameters) state.set(region, (parameters = new Map()));
    return parameters;
  };
  const file = path.join(options.dataDir, 'parameters.json');
  const journal = await Journal.open<StoredParameter>(
    file,
    {
      load: (snapshot) => {
        const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
        if (!isObject(snapshot) || !Object.values(snapshot).every(isObject)) {
          throw new Error(`SSM stand-in state file ${file} has an unknown format (expected {region: {name: parameter}}); delete it to start over.`);
        }
        for (const [region, parameters] of Object.entries(snapshot)) {
          for (const [name, parameter] of Object.entries(parameters as Record<string, StoredParameter>)) regionOf(region).set(name, parameter);
        }
      },
      apply: (key, parameter) => {
        const split = key.indexOf(':');
        const parameters = regionOf(key.slice(0, split));
        if (parameter) parameters.set(key.slice(split + 1), parameter);
        else parameters.delete(key.slice(split + 1));
      },
      snapshot: () => Object.fromEntries([...state].map(([region, parameters]) => [region, Object.fromEntries(parameters)])),
    },
    { label: 'SSM stand-in state file' },
  );
  const persist = (region: string, name: string) => journal.record(`${region}:${name}`, state.get(region)?.get(name));
  const arnOf = (region: string, name: string) => `arn:aws:ssm:${region}:${account}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
  const shape = (region: string, parameter: StoredParameter) => ({
    Name: parameter.Name,
    Type: parameter.Type,
    Value: parameter.Value,
    Version: parameter.Version,
    LastModifiedDate: parameter.LastModifiedDate,
    ARN: arnOf(region, parameter.Name),
    DataType: 'text',
  });
  const notFound = () => new AwsServiceError('ParameterNotFound', '');

  const service = await startJsonService({
    targetPrefix: 'AmazonSSM',
    version: '1.1',
    defaultRegion: options.defaultRegion ?? 'us-east-1',
    operations: {
      async PutParameter(input, { region }) {
        const name = checkName(input.Name);
        const parameters = regionOf(region);
        if (typeof input.Value !== 'string' || input.Value.length === 0) throw validation("1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1");
        if (Buffer.byteLength(input.Value) > SSM_LIMITS.valueBytes) {
          throw validation(`Standard tier parameters support a maximum parameter value of ${SSM_LIMITS.valueBytes} characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.`);
        }
        const existing = parameters.get(name);
        if (existing && input.Overwrite !== true) {
          throw new AwsServiceError('ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
        }
        const type = input.Type ?? existing?.Type;
        if (!existing && type === undefined) throw validation('A parameter type is required when you create a parameter.');
        if (!TYPES.includes(type)) throw validation(`1 validation error detected: Value '${type}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [${TYPES.join(', ')}]`);
        if (!existing && parameters.size >= SSM_LIMITS.parametersPerRegion) {
          throw new AwsServiceError('ParameterLimitExceeded', `You have exceeded the number of parameters for this AWS account (${SSM_LIMITS.parametersPerRegion}). Delete unused parameters and try again.`);
        }
        const version = (existing?.Version ?? 0) + 1;
        parameters.set(name, { Name: name, Type: type, Value: input.Value, Version: version, LastModifiedDate: Date.now() / 1000, Description: input.Description ?? existing?.Description });
        await persist(region, name);
        return { Version: version, Tier: 'Standard' };
      },
      GetParameter(input, { region }) {
        const parameter = regionOf(region).get(checkName(input.Name));
        if (!parameter) throw notFound();
        return { Parameter: shape(region, parameter) };
      },
      GetParameters(input, { region }) {
        const names: string[] = Array.isArray(input.Names) ? input.Names : [];
        if (names.length < 1 || names.length > 10) throw validation("1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length between 1 and 10");
        const parameters = regionOf(region);
        return {
          Parameters: names.filter((name) => parameters.has(name)).map((name) => shape(region, parameters.get(name)!)),
          InvalidParameters: names.filter((name) => !parameters.has(name)),
        };
      },
      GetParametersByPath(input, { region }) {
        const base = String(input.Path ?? '');
        if (!base.startsWith('/')) throw validation('The parameter doesn\'t meet the parameter name requirements. The parameter name must begin with a forward slash "/".');
        const max = input.MaxResults ?? 10;
        if (!Number.isInteger(max) || max < 1 || max > 10) throw validation(`1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10`);
        const prefix = base.endsWith('/') ? base : `${base}/`;
        const matching = [...regionOf(region).values()]
          .filter((parameter) => parameter.Name.startsWith(prefix) && (input.Recursive === true || !parameter.Name.slice(prefix.length).includes('/')))
          .sort((a, b) => a.Name.localeCompare(b.Name));
        const start = input.NextToken ? Number(Buffer.from(String(input.NextToken), 'base64url').toString()) : 0;
        if (!Number.isInteger(start) || start < 0) throw validation('The specified token is not valid.');
        const page = matching.slice(start, start + max);
        const next = start + max < matching.length ? Buffer.from(String(start + max)).toString('base64url') : undefined;
        return { Parameters: page.map((parameter) => shape(region, parameter)), NextToken: next };
      },
      async DeleteParameter(input, { region }) {
        const parameters = regionOf(region);
        const name = checkName(input.Name);
        if (!parameters.has(name)) throw notFound();
        parameters.delete(name);
        await persist(region, name);
        return {};
      },
    },
  });
  return {
    ...service,
    parameters: async (region) =>
      [...state]
        .filter(([name]) => !region || name === region)
        .flatMap(([name, parameters]) => [...parameters.values()].map((parameter) => ({ ...parameter, region: name })))
        .sort((a, b) => a.region.localeCompare(b.region) || a.Name.localeCompare(b.Name)),
    close: async () => {
      await service.close();
      await journal.close();
    },
  };
}
