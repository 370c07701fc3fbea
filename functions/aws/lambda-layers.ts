import {
  AddLayerVersionPermissionCommand,
  DeleteLayerVersionCommand,
  GetLayerVersionCommand,
  GetLayerVersionPolicyCommand,
  LambdaClient,
  ListLayerVersionsCommand,
  ListLayersCommand,
  PublishLayerVersionCommand,
  RemoveLayerVersionPermissionCommand,
  type Architecture,
  type GetLayerVersionCommandOutput,
  type PublishLayerVersionCommandOutput,
  type Runtime,
} from '@aws-sdk/client-lambda';
import type { Visibility } from '../catalog/settings';
import { afterWrite } from '../shared/crash-points';
import { sharedClient } from './clients';
import { CLIENT_SETTINGS, QUIET_LOGGER } from './endpoints';
import { Pacer, controlPlaneRate, paced, pacedClient, pacerOf } from '../regions/control-plane';
import { LAMBDA_LAYER_OPERATIONS } from './lambda-layer-requests';
import { LeanClient } from './lean-json-request';

/**
 * The process's Lambda client of a region: its ListLayerVersions, PublishLayerVersion and AddLayerVersionPermission
 * (a Publish's calls) sent as lean requests (functions/aws/lambda-layer-requests.ts), each paced by the pacer its
 * command carries, as the client's pacing middleware paces the SDK's attempts.
 */
function lambdaClientOf(region: string): LeanClient<LambdaClient> {
  return sharedClient(
    'LAMBDA',
    region,
    () => new LeanClient(new LambdaClient({ region, ...CLIENT_SETTINGS }), LAMBDA_LAYER_OPERATIONS, { beforeRequest: (command) => pacerOf(command)?.wait() }),
  );
}

export interface LayerVersionRef {
  layerArn: string;
  arn: string;
  version: number;
  codeSha256: string;
  codeSize: number;
  createdDate: string;
}

export interface PublishRequest {
  layerName: string;
  description: string;
  licenseInfo?: string;
  runtimes: string[];
  architectures: string[];
  /** Zip bytes for a direct upload (at most 50 MB), or an S3 object in the layer's region. */
  content: { zipFile: Uint8Array } | { s3Bucket: string; s3Key: string };
}

/** One permission statement lamina wants on a layer version. */
export interface WantedStatement {
  statementId: string;
  principal: string;
  organizationId?: string;
}

/** The statements a visibility setting asks for: nothing more, nothing less ends up on the version. */
export function statementsFor(visibility: Visibility): WantedStatement[] {
  if (visibility === 'private') return [];
  if (visibility === 'public') return [{ statementId: 'lamina-public', principal: '*' }];
  if ('organization' in visibility) {
    return [{ statementId: 'lamina-organization', principal: '*', organizationId: visibility.organization }];
  }
  return visibility.accounts.map((account) => ({ statementId: `lamina-account-${account}`, principal: account }));
}

interface PolicyStatement {
  Sid: string;
  Principal: string | { AWS?: string };
  Condition?: { StringEquals?: { 'aws:PrincipalOrgID'?: string } };
}

function principalOf(statement: PolicyStatement): string {
  const principal = typeof statement.Principal === 'string' ? statement.Principal : statement.Principal.AWS ?? '';
  const account = /^arn:aws[a-z-]*:iam::(\d{12}):root$/.exec(principal);
  return account ? account[1] : principal;
}

function sameStatement(existing: PolicyStatement, wanted: WantedStatement): boolean {
  return (
    existing.Sid === wanted.statementId &&
    principalOf(existing) === wanted.principal &&
    (existing.Condition?.StringEquals?.['aws:PrincipalOrgID'] ?? undefined) === wanted.organizationId
  );
}

/** GetLayerVersion and PublishLayerVersion answer with the same shape. */
function refOf(version: GetLayerVersionCommandOutput | PublishLayerVersionCommandOutput): LayerVersionRef {
  return {
    layerArn: version.LayerArn!,
    arn: version.LayerVersionArn!,
    version: version.Version!,
    codeSha256: version.Content?.CodeSha256 ?? '',
    codeSize: version.Content?.CodeSize ?? 0,
    createdDate: version.CreatedDate!,
  };
}

export const isNotFound = (error: unknown) => (error as Error)?.name === 'ResourceNotFoundException';
const isConflict = (error: unknown) => (error as Error)?.name === 'ResourceConflictException';

/** A layer's newest version as ListLayers reports it: no CodeSha256 and no policy. */
export interface LatestInLambda {
  layerName: string;
  version: number;
  arn: string;
  createdDate: string;
}

/** Lambda's layer API in one region: the only code in lamina that talks to Lambda. */
export class LayerApi {
  private readonly pacer: Pacer;

  constructor(
    readonly region: string,
    // The client's pacing middleware (pacedClient) waits for the pacer each command carries: this instance's.
    private readonly client: Pick<LambdaClient, 'send'> = lambdaClientOf(region),
    /** Control-plane requests per second this instance may send (functions/regions/control-plane.ts). */
    requestsPerSecond = controlPlaneRate(),
    /** How many of them it may send at once after a pause. */
    burst = 1,
  ) {
    this.pacer = new Pacer(requestsPerSecond, undefined, undefined, burst);
    pacedClient(client);
  }

  /** The command, sent at this instance's pace (every attempt of it). */
  private paced<C extends object>(command: C): C {
    return paced(command, this.pacer);
  }

  /**
   * Lambda in this region making each call once, with short timeouts: for a region under suspicion, which must not
   * cost every retry (functions/regions/health.ts).
   */
  static singleAttempt(region: string, requestsPerSecond = controlPlaneRate(), burst = 1): LayerApi {
    const client = sharedClient(
      'LAMBDA',
      `${region} single-attempt`,
      () => new LambdaClient({ region, logger: QUIET_LOGGER, cacheMiddleware: true, maxAttempts: 1, requestHandler: { connectionTimeout: 5_000, requestTimeout: 15_000 } }),
    );
    return new LayerApi(region, client, requestsPerSecond, burst);
  }

  /** The newest version of a layer in this region, with its CodeSha256; undefined when it has none. */
  async newestVersion(layerName: string): Promise<LayerVersionRef | undefined> {
    const page = await this.client.send(this.paced(new ListLayerVersionsCommand({ LayerName: layerName, MaxItems: 1 })));
    const newest = page.LayerVersions?.[0];
    if (!newest?.Version) return undefined;
    return this.getVersion(layerName, newest.Version);
  }

  /**
   * The newest version of every layer in this region whose name starts with `prefix`: ListLayers, every page
   * (50 layers a page), so a region with 10,000 layers costs 200 requests.
   */
  async latestVersions(prefix = ''): Promise<Map<string, LatestInLambda>> {
    const latest = new Map<string, LatestInLambda>();
    let marker: string | undefined;
    do {
      const page = await this.client.send(this.paced(new ListLayersCommand({ Marker: marker, MaxItems: 50 })));
      for (const layer of page.Layers ?? []) {
        const version = layer.LatestMatchingVersion;
        if (!layer.LayerName?.startsWith(prefix) || !version?.Version) continue;
        latest.set(layer.LayerName, { layerName: layer.LayerName, version: version.Version, arn: version.LayerVersionArn!, createdDate: version.CreatedDate! });
      }
      marker = page.NextMarker;
    } while (marker);
    return latest;
  }

  async getVersion(layerName: string, version: number): Promise<LayerVersionRef> {
    return refOf(await this.client.send(this.paced(new GetLayerVersionCommand({ LayerName: layerName, VersionNumber: version }))));
  }

  async publish(request: PublishRequest): Promise<LayerVersionRef> {
    const content =
      'zipFile' in request.content
        ? { ZipFile: request.content.zipFile }
        : { S3Bucket: request.content.s3Bucket, S3Key: request.content.s3Key };
    const published = await this.client.send(
      this.paced(new PublishLayerVersionCommand({
        LayerName: request.layerName,
        Description: request.description,
        LicenseInfo: request.licenseInfo,
        CompatibleRuntimes: request.runtimes as Runtime[],
        CompatibleArchitectures: request.architectures as Architecture[],
        Content: content,
      })),
    );
    afterWrite('publish:layer-version');
    return refOf(published);
  }

  /**
   * Makes the version's policy exactly what `visibility` asks for: adds missing statements, removes any other.
   * Returns the statement ids it changed, so a repeat run can report that nothing changed. `fresh` says this
   * invocation has just published the version, so it holds no policy yet and nothing is read first; when another
   * run added a statement meanwhile (it saw the version as newest), Lambda answers the add with a conflict and the
   * policy is read and made right as for any other version.
   */
  async applyVisibility(layerName: string, version: number, visibility: Visibility, { fresh = false } = {}): Promise<{ added: string[]; removed: string[] }> {
    const wanted = statementsFor(visibility);
    if (fresh) {
      const added: string[] = [];
      try {
        for (const statement of wanted) added.push(await this.addStatement(layerName, version, statement));
        return { added, removed: [] };
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
    }
    let existing: PolicyStatement[] = [];
    try {
      const policy = await this.client.send(this.paced(new GetLayerVersionPolicyCommand({ LayerName: layerName, VersionNumber: version })));
      existing = (JSON.parse(policy.Policy ?? '{}').Statement ?? []) as PolicyStatement[];
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    const removed: string[] = [];
    for (const statement of existing) {
      if (!wanted.some((candidate) => sameStatement(statement, candidate))) {
        await this.client.send(
          this.paced(new RemoveLayerVersionPermissionCommand({ LayerName: layerName, VersionNumber: version, StatementId: statement.Sid })),
        );
        afterWrite('publish:permission');
        removed.push(statement.Sid);
      }
    }
    const added: string[] = [];
    for (const statement of wanted) {
      if (existing.some((candidate) => sameStatement(candidate, statement))) continue;
      added.push(await this.addStatement(layerName, version, statement));
    }
    return { added, removed };
  }

  private async addStatement(layerName: string, version: number, statement: WantedStatement): Promise<string> {
    await this.client.send(
      this.paced(new AddLayerVersionPermissionCommand({
        LayerName: layerName,
        VersionNumber: version,
        StatementId: statement.statementId,
        Action: 'lambda:GetLayerVersion',
        Principal: statement.principal,
        OrganizationId: statement.organizationId,
      })),
    );
    afterWrite('publish:permission');
    return statement.statementId;
  }

  /** Deletes a version; a version already gone counts as deleted. */
  async deleteVersion(layerName: string, version: number): Promise<void> {
    try {
      await this.client.send(this.paced(new DeleteLayerVersionCommand({ LayerName: layerName, VersionNumber: version })));
      afterWrite('expire:delete');
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}
