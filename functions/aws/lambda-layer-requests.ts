import {
  AddLayerVersionPermissionCommand,
  ListLayerVersionsCommand,
  PublishLayerVersionCommand,
  type AddLayerVersionPermissionCommandInput,
  type AddLayerVersionPermissionCommandOutput,
  type ListLayerVersionsCommandInput,
  type ListLayerVersionsCommandOutput,
  type PublishLayerVersionCommandInput,
  type PublishLayerVersionCommandOutput,
} from '@aws-sdk/client-lambda';
import { answerObject, orderedBody, type LeanOperation } from './lean-json-request';

/**
 * The layer API's calls every Publish makes (ListLayerVersions, PublishLayerVersion, AddLayerVersionPermission) as
 * lean requests (functions/aws/lean-json-request.ts): Lambda's REST-JSON, each request as the SDK's serializer makes
 * it (the method and path of the operation, its labels escaped as the SDK escapes them, its query, its JSON body in
 * the schema's member order), each 2xx answer read into the output the SDK gives (the schema's members, nothing else).
 */

/** A path label as the SDK escapes it (extendedEncodeURIComponent: RFC 3986, so !'()* too). */
const label = (value: string | number) => encodeURIComponent(String(value)).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const JSON_BODY = { 'content-type': 'application/json' };

/** What one member of an answer holds, for `pick`: a string, a number, a list of strings, or a structure. */
type Shape = 'string' | 'number' | 'strings' | { [member: string]: Shape };

/** The members of `value` that `shape` names, as the SDK's deserializer keeps them; undefined when one has another type. */
function pick(value: unknown, shape: { [member: string]: Shape }): Record<string, unknown> | undefined {
  const object = answerObject(value);
  if (!object) return undefined;
  const picked: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(shape)) {
    const v = object[name];
    if (v === undefined || v === null) continue;
    if (member === 'string' || member === 'number') {
      if (typeof v !== member) return undefined;
      picked[name] = v;
    } else if (member === 'strings') {
      if (!Array.isArray(v) || !v.every((item) => typeof item === 'string')) return undefined;
      picked[name] = v;
    } else {
      const inner = pick(v, member);
      if (!inner) return undefined;
      picked[name] = inner;
    }
  }
  return picked;
}

const OK = { $metadata: { httpStatusCode: 200 } };

const LAYER_VERSION_ITEM = { LayerVersionArn: 'string', Version: 'number', Description: 'string', CreatedDate: 'string', CompatibleRuntimes: 'strings', LicenseInfo: 'string', CompatibleArchitectures: 'strings' } as const;

/** ListLayerVersions (newestVersion: MaxItems 1). */
export const LIST_LAYER_VERSIONS_OPERATION: LeanOperation<ListLayerVersionsCommandInput, ListLayerVersionsCommandOutput> = {
  command: ListLayerVersionsCommand,
  name: 'Lambda.ListLayerVersions',
  request(input) {
    if (!input.LayerName) return undefined;
    const query: Record<string, string> = {};
    if (input.CompatibleRuntime !== undefined) query.CompatibleRuntime = input.CompatibleRuntime;
    if (input.Marker !== undefined) query.Marker = input.Marker;
    if (input.MaxItems !== undefined) query.MaxItems = String(input.MaxItems);
    if (input.CompatibleArchitecture !== undefined) query.CompatibleArchitecture = input.CompatibleArchitecture;
    return { method: 'GET', path: `/2018-10-31/layers/${label(input.LayerName)}/versions`, query, headers: {} };
  },
  output(answer) {
    const object = answerObject(answer);
    if (!object) return undefined;
    const picked = pick(object, { NextMarker: 'string' });
    if (!picked) return undefined;
    if (object.LayerVersions !== undefined && object.LayerVersions !== null) {
      if (!Array.isArray(object.LayerVersions)) return undefined;
      const versions = object.LayerVersions.map((item) => pick(item, LAYER_VERSION_ITEM));
      if (versions.some((item) => !item)) return undefined;
      picked.LayerVersions = versions;
    }
    return { ...OK, ...picked } as ListLayerVersionsCommandOutput;
  },
  endpointKey: () => '',
};

const CONTENT_MEMBERS = ['S3Bucket', 'S3Key', 'S3ObjectVersion', 'ZipFile'] as const;

/**
 * The largest zip a lean PublishLayerVersion uploads. BufferedHttpHandler gives up on a socket silent for 30 s,
 * where the SDK's handler waits as long as Lambda takes; a failed lean request is sent again by the SDK, and a
 * PublishLayerVersion sent twice makes two versions. A small upload is answered in well under a second; a large
 * one, or one Lambda copies from S3 (staged), is the SDK's alone, with its own timeouts.
 */
export const LEAN_ZIP_BYTES = 4 * 1024 * 1024;

/** PublishLayerVersion of a small zip (LEAN_ZIP_BYTES): its bytes go as base64, as the SDK writes a blob in a JSON body. */
export const PUBLISH_LAYER_VERSION_OPERATION: LeanOperation<PublishLayerVersionCommandInput, PublishLayerVersionCommandOutput> = {
  command: PublishLayerVersionCommand,
  name: 'Lambda.PublishLayerVersion',
  request(input) {
    const content = input.Content;
    if (!input.LayerName || !content) return undefined;
    const zip = content.ZipFile;
    if (!(zip instanceof Uint8Array) || zip.byteLength > LEAN_ZIP_BYTES) return undefined;
    const contentBody = orderedBody({ ...content, ZipFile: Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength).toString('base64') }, CONTENT_MEMBERS as unknown as (keyof typeof content & string)[]);
    if (contentBody === undefined) return undefined;
    const { LayerName: _name, Content: _content, ...rest } = input;
    const others = orderedBody(rest, ['Description', 'CompatibleArchitectures', 'CompatibleRuntimes', 'LicenseInfo']);
    if (others === undefined) return undefined;
    // Content is the schema's first body member.
    const body = others === '{}' ? `{"Content":${contentBody}}` : `{"Content":${contentBody},${others.slice(1)}`;
    return { method: 'POST', path: `/2018-10-31/layers/${label(input.LayerName)}/versions`, headers: JSON_BODY, body };
  },
  output(answer) {
    const picked = pick(answer, {
      Content: { Location: 'string', CodeSha256: 'string', CodeSize: 'number', SigningProfileVersionArn: 'string', SigningJobArn: 'string' },
      LayerArn: 'string',
      LayerVersionArn: 'string',
      Description: 'string',
      CreatedDate: 'string',
      Version: 'number',
      CompatibleRuntimes: 'strings',
      LicenseInfo: 'string',
      CompatibleArchitectures: 'strings',
    });
    return picked && ({ ...OK, ...picked } as PublishLayerVersionCommandOutput);
  },
  endpointKey: () => '',
};

/** AddLayerVersionPermission. */
export const ADD_LAYER_VERSION_PERMISSION_OPERATION: LeanOperation<AddLayerVersionPermissionCommandInput, AddLayerVersionPermissionCommandOutput> = {
  command: AddLayerVersionPermissionCommand,
  name: 'Lambda.AddLayerVersionPermission',
  request(input) {
    if (!input.LayerName || input.VersionNumber === undefined) return undefined;
    const { LayerName: _name, VersionNumber: _version, RevisionId, ...rest } = input;
    const body = orderedBody(rest, ['StatementId', 'Action', 'Principal', 'OrganizationId']);
    if (body === undefined) return undefined;
    return {
      method: 'POST',
      path: `/2018-10-31/layers/${label(input.LayerName)}/versions/${label(input.VersionNumber)}/policy`,
      query: RevisionId !== undefined ? { RevisionId } : ({} as Record<string, string>),
      headers: JSON_BODY,
      body,
    };
  },
  output(answer) {
    const picked = pick(answer, { Statement: 'string', RevisionId: 'string' });
    return picked && ({ ...OK, ...picked } as AddLayerVersionPermissionCommandOutput);
  },
  endpointKey: () => '',
};

/** The layer API's commands lean requests send for a LeanClient (functions/aws/lambda-layers.ts). */
export const LAMBDA_LAYER_OPERATIONS: readonly LeanOperation<never, object>[] = [LIST_LAYER_VERSIONS_OPERATION, PUBLISH_LAYER_VERSION_OPERATION, ADD_LAYER_VERSION_PERMISSION_OPERATION];
