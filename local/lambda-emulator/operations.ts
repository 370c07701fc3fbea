import { randomUUID } from 'node:crypto';
import {
  ACTION_PATTERN,
  lambdaArchitectures,
  LAYER_NAME_PATTERN,
  LAYER_VERSION_ARN_PATTERN,
  LIMITS,
  ORGANIZATION_ID_PATTERN,
  PRINCIPAL_PATTERN,
  lambdaRuntimes,
  STATEMENT_ID_PATTERN,
  Violations,
  layerArn,
  layerVersionArn,
  parseLayerName,
  parseLayerVersionArn,
  type LayerReference,
} from './constraints';
import { LambdaApiError, conflict, invalidParameter, notFound, preconditionFailed } from './errors';
import { inspectLayerZip, loadLayerContent, type LayerContentInput, type ReadS3Object, type S3BucketRegion } from './layer-content';
import { decodeMarker, page } from './paging';
import { renderPolicy, renderStatement, type PolicyStatementRecord } from './policy';
import type { LayerStore, VersionRecord } from './store';

/** Everything an operation needs about the request and the emulator. */
export interface OperationContext {
  region: string;
  accountId: string;
  /** Base URL of the emulator, for Content.Location. */
  baseUrl: string;
  store: LayerStore;
  readS3Object?: ReadS3Object;
  /** Where an S3 bucket is: content from a bucket of another region is refused, as Lambda refuses it. */
  s3BucketRegion?: S3BucketRegion;
  /** Decoded path parameters by name (LayerName, VersionNumber, StatementId). */
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON body (POST operations). */
  body: Record<string, unknown>;
}

/** What an operation answers: status and JSON body (none for 204). */
export interface OperationResult {
  status: number;
  body?: unknown;
}

/** Path of the emulator's stand-in for the presigned S3 URL Lambda gives as Content.Location. */
export const contentPath = (region: string, name: string, version: number) =>
  `/_lamina/layer-content/${region}/${encodeURIComponent(name)}/${version}`;

function checkLayerName(violations: Violations, value: string): void {
  violations.string('layerName', value, { min: 1, max: LIMITS.layerName, pattern: LAYER_NAME_PATTERN });
}

function checkVersionNumber(violations: Violations, value: string): number {
  const version = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isNaN(version)) violations.string('versionNumber', value, { pattern: '-?[0-9]+' });
  return version;
}

function assertVersionAtLeastOne(version: number): void {
  if (version < 1) throw invalidParameter('Layer Version Cannot be less than 1');
}

/** Whether an ARN-form reference points into this region and account (only those layers exist here). */
const isLocal = (ctx: OperationContext, ref: LayerReference) =>
  (ref.region === undefined || ref.region === ctx.region) && (ref.accountId === undefined || ref.accountId === ctx.accountId);

function queryInteger(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  return /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
}

function checkListFilters(violations: Violations, query: URLSearchParams) {
  const runtime = query.get('CompatibleRuntime') ?? undefined;
  const architecture = query.get('CompatibleArchitecture') ?? undefined;
  const maxItems = queryInteger(query, 'MaxItems');
  violations.enumValue('compatibleRuntime', runtime, lambdaRuntimes());
  violations.enumValue('compatibleArchitecture', architecture, lambdaArchitectures());
  violations.integer('maxItems', maxItems, { min: 1, max: LIMITS.maxItems });
  return { runtime, architecture, maxItems: maxItems ?? LIMITS.maxItems };
}

const matchesFilters = (record: VersionRecord, runtime?: string, architecture?: string) =>
  (runtime === undefined || (record.compatibleRuntimes ?? []).includes(runtime)) &&
  (architecture === undefined || (record.compatibleArchitectures ?? []).includes(architecture));

function listItem(ctx: OperationContext, name: string, record: VersionRecord) {
  return {
    LayerVersionArn: layerVersionArn(ctx.region, ctx.accountId, name, record.version),
    Version: record.version,
    Description: record.description,
    CreatedDate: record.createdDate,
    ...(record.compatibleRuntimes ? { CompatibleRuntimes: record.compatibleRuntimes } : {}),
    ...(record.licenseInfo !== undefined ? { LicenseInfo: record.licenseInfo } : {}),
    ...(record.compatibleArchitectures ? { CompatibleArchitectures: record.compatibleArchitectures } : {}),
  };
}

function versionOutput(ctx: OperationContext, name: string, record: VersionRecord) {
  const { LayerVersionArn, ...rest } = listItem(ctx, name, record);
  return {
    Content: {
      Location: `${ctx.baseUrl}${contentPath(ctx.region, name, record.version)}`,
      CodeSha256: record.codeSha256,
      CodeSize: record.codeSize,
    },
    LayerArn: layerArn(ctx.region, ctx.accountId, name),
    LayerVersionArn,
    ...rest,
  };
}

/** PublishLayerVersion: POST /2018-10-31/layers/{LayerName}/versions */
export async function publishLayerVersion(ctx: OperationContext): Promise<OperationResult> {
  const { body } = ctx;
  const violations = new Violations();
  checkLayerName(violations, ctx.params.LayerName);
  violations.required('content', body.Content);
  violations.string('description', body.Description, { max: LIMITS.description });
  violations.string('licenseInfo', body.LicenseInfo, { max: LIMITS.licenseInfo });
  violations.enumList('compatibleRuntimes', body.CompatibleRuntimes, lambdaRuntimes(), LIMITS.compatibleRuntimes);
  violations.enumList('compatibleArchitectures', body.CompatibleArchitectures, lambdaArchitectures(), LIMITS.compatibleArchitectures);
  violations.throwIfAny();

  const ref = parseLayerName(ctx.params.LayerName);
  if (!isLocal(ctx, ref)) {
    throw invalidParameter(
      `The layer ARN ${ctx.params.LayerName} is not in this region (${ctx.region}) and account (${ctx.accountId}); publish with the layer name or an ARN of this region and account.`,
    );
  }
  const data = await loadLayerContent(body.Content as LayerContentInput, ctx.readS3Object, { region: ctx.region, bucketRegion: ctx.s3BucketRegion });
  const zip = await inspectLayerZip(data);
  const record = await ctx.store.publish(
    ctx.region,
    ref.name,
    {
      description: body.Description as string | undefined,
      licenseInfo: body.LicenseInfo as string | undefined,
      compatibleRuntimes: body.CompatibleRuntimes as string[] | undefined,
      compatibleArchitectures: body.CompatibleArchitectures as string[] | undefined,
    },
    zip,
  );
  return { status: 201, body: versionOutput(ctx, ref.name, record) };
}

/**
 * The layer and version named in the path of a version-scoped operation with no body fields, validated the way
 * Lambda does (all violations in one ValidationException, then the version-at-least-one check).
 */
function versionParams(ctx: OperationContext, check: (violations: Violations) => void = () => undefined) {
  const violations = new Violations();
  checkLayerName(violations, ctx.params.LayerName);
  const version = checkVersionNumber(violations, ctx.params.VersionNumber);
  check(violations);
  violations.throwIfAny();
  assertVersionAtLeastOne(version);
  return { ref: parseLayerName(ctx.params.LayerName), version };
}

/** GetLayerVersion: GET /2018-10-31/layers/{LayerName}/versions/{VersionNumber} */
export async function getLayerVersion(ctx: OperationContext): Promise<OperationResult> {
  const { ref, version } = versionParams(ctx);
  const record = isLocal(ctx, ref) ? ctx.store.getVersion(ctx.region, ref.name, version) : undefined;
  if (!record) throw notFound();
  return { status: 200, body: versionOutput(ctx, ref.name, record) };
}

/** GetLayerVersionByArn: GET /2018-10-31/layers?find=LayerVersion&Arn=... */
export async function getLayerVersionByArn(ctx: OperationContext): Promise<OperationResult> {
  const arn = ctx.query.get('Arn');
  const violations = new Violations();
  if (violations.required('arn', arn)) {
    violations.string('arn', arn, { min: 1, max: LIMITS.layerName, pattern: LAYER_VERSION_ARN_PATTERN });
  }
  violations.throwIfAny();
  const ref = parseLayerVersionArn(arn!);
  if (!ref || !isLocal(ctx, ref)) throw notFound();
  assertVersionAtLeastOne(ref.version);
  const record = ctx.store.getVersion(ctx.region, ref.name, ref.version);
  if (!record) throw notFound();
  return { status: 200, body: versionOutput(ctx, ref.name, record) };
}

/** ListLayerVersions: GET /2018-10-31/layers/{LayerName}/versions, newest first. */
export async function listLayerVersions(ctx: OperationContext): Promise<OperationResult> {
  const violations = new Violations();
  checkLayerName(violations, ctx.params.LayerName);
  const { runtime, architecture, maxItems } = checkListFilters(violations, ctx.query);
  violations.throwIfAny();
  const after = decodeMarker(ctx.query.get('Marker'));
  const below = typeof after?.v === 'number' ? after.v : Number.POSITIVE_INFINITY;
  const ref = parseLayerName(ctx.params.LayerName);
  const versions = isLocal(ctx, ref) ? ctx.store.versionsOf(ctx.region, ref.name) : [];
  const matching = versions.filter((record) => record.version < below && matchesFilters(record, runtime, architecture));
  const { items, nextMarker } = page(matching, maxItems, (last) => ({ v: last.version }));
  return {
    status: 200,
    body: { ...(nextMarker ? { NextMarker: nextMarker } : {}), LayerVersions: items.map((r) => listItem(ctx, ref.name, r)) },
  };
}

/** ListLayers: GET /2018-10-31/layers, each layer with its newest version matching the filters. */
export async function listLayers(ctx: OperationContext): Promise<OperationResult> {
  const violations = new Violations();
  const { runtime, architecture, maxItems } = checkListFilters(violations, ctx.query);
  violations.throwIfAny();
  const after = decodeMarker(ctx.query.get('Marker'));
  const afterName = typeof after?.n === 'string' ? after.n : undefined;
  const layers: { name: string; latest: VersionRecord }[] = [];
  for (const name of ctx.store.layerNames(ctx.region)) {
    if (afterName !== undefined && name <= afterName) continue;
    const latest = ctx.store.versionsOf(ctx.region, name).find((record) => matchesFilters(record, runtime, architecture));
    if (latest) layers.push({ name, latest });
  }
  const { items, nextMarker } = page(layers, maxItems, (last) => ({ n: last.name }));
  return {
    status: 200,
    body: {
      ...(nextMarker ? { NextMarker: nextMarker } : {}),
      Layers: items.map(({ name, latest }) => ({
        LayerName: name,
        LayerArn: layerArn(ctx.region, ctx.accountId, name),
        LatestMatchingVersion: listItem(ctx, name, latest),
      })),
    },
  };
}

/** DeleteLayerVersion: DELETE /2018-10-31/layers/{LayerName}/versions/{VersionNumber}; like AWS, deleting what is not there succeeds. */
export async function deleteLayerVersion(ctx: OperationContext): Promise<OperationResult> {
  const { ref, version } = versionParams(ctx);
  if (isLocal(ctx, ref)) await ctx.store.deleteVersion(ctx.region, ref.name, version);
  return { status: 204 };
}

const versionMissing = (arn: string) => notFound(`Layer version ${arn} does not exist.`);

/** AddLayerVersionPermission: POST /2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy */
export async function addLayerVersionPermission(ctx: OperationContext): Promise<OperationResult> {
  const { body } = ctx;
  const violations = new Violations();
  checkLayerName(violations, ctx.params.LayerName);
  const version = checkVersionNumber(violations, ctx.params.VersionNumber);
  if (violations.required('statementId', body.StatementId)) {
    violations.string('statementId', body.StatementId, { min: 1, max: LIMITS.statementId, pattern: STATEMENT_ID_PATTERN });
  }
  if (violations.required('action', body.Action)) {
    violations.string('action', body.Action, { max: LIMITS.action, pattern: ACTION_PATTERN });
  }
  if (violations.required('principal', body.Principal)) {
    violations.string('principal', body.Principal, { pattern: PRINCIPAL_PATTERN });
  }
  violations.string('organizationId', body.OrganizationId, { max: LIMITS.organizationId, pattern: ORGANIZATION_ID_PATTERN });
  violations.throwIfAny();
  assertVersionAtLeastOne(version);
  const statement: PolicyStatementRecord = {
    sid: body.StatementId as string,
    action: body.Action as string,
    principal: body.Principal as string,
    ...(body.OrganizationId ? { organizationId: body.OrganizationId as string } : {}),
  };
  if (statement.organizationId && statement.principal !== '*') {
    throw invalidParameter(`OrganizationId can only be used with the principal '*', not '${statement.principal}'.`);
  }
  const ref = parseLayerName(ctx.params.LayerName);
  const arn = layerVersionArn(ctx.region, ctx.accountId, ref.name, version);
  if (!isLocal(ctx, ref)) throw versionMissing(arn);
  const revisionId = ctx.query.get('RevisionId');
  return ctx.store.updatePolicy(ctx.region, ref.name, version, (record) => {
    if (!record) throw versionMissing(arn);
    const current = record.policy;
    if (current?.statements.some((s) => s.sid === statement.sid)) {
      throw conflict(
        `The statement id (${statement.sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
      );
    }
    if (revisionId && current?.revisionId !== revisionId) throw preconditionFailed();
    const policy = { revisionId: randomUUID(), statements: [...(current?.statements ?? []), statement] };
    const size = Buffer.byteLength(renderPolicy(policy, arn));
    if (size > LIMITS.policyBytes) {
      throw new LambdaApiError(
        'PolicyLengthExceededException',
        400,
        `The final policy size (${size}) is bigger than the limit (${LIMITS.policyBytes}).`,
      );
    }
    return {
      policy,
      result: { status: 201, body: { Statement: JSON.stringify(renderStatement(statement, arn)), RevisionId: policy.revisionId } },
    };
  });
}

/** GetLayerVersionPolicy: GET /2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy */
export async function getLayerVersionPolicy(ctx: OperationContext): Promise<OperationResult> {
  const { ref, version } = versionParams(ctx);
  const arn = layerVersionArn(ctx.region, ctx.accountId, ref.name, version);
  const record = isLocal(ctx, ref) ? ctx.store.getVersion(ctx.region, ref.name, version) : undefined;
  if (!record) throw versionMissing(arn);
  if (!record.policy || record.policy.statements.length === 0) {
    throw notFound('No policy is associated with the given resource.');
  }
  return { status: 200, body: { Policy: renderPolicy(record.policy, arn), RevisionId: record.policy.revisionId } };
}

/** RemoveLayerVersionPermission: DELETE /2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy/{StatementId} */
export async function removeLayerVersionPermission(ctx: OperationContext): Promise<OperationResult> {
  const { ref, version } = versionParams(ctx, (violations) =>
    violations.string('statementId', ctx.params.StatementId, { min: 1, max: LIMITS.statementId, pattern: STATEMENT_ID_PATTERN }),
  );
  const arn = layerVersionArn(ctx.region, ctx.accountId, ref.name, version);
  if (!isLocal(ctx, ref)) throw versionMissing(arn);
  const sid = ctx.params.StatementId;
  const revisionId = ctx.query.get('RevisionId');
  return ctx.store.updatePolicy(ctx.region, ref.name, version, (record) => {
    if (!record) throw versionMissing(arn);
    const current = record.policy;
    if (revisionId && current?.revisionId !== revisionId) throw preconditionFailed();
    if (!current?.statements.some((s) => s.sid === sid)) throw notFound(`Statement ${sid} is not found in resource policy.`);
    const statements = current.statements.filter((s) => s.sid !== sid);
    return {
      policy: statements.length > 0 ? { revisionId: randomUUID(), statements } : undefined,
      result: { status: 204 },
    };
  });
}
