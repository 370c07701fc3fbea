import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  EXPIRY_PARTITION,
  GSI1,
  GSI2,
  RUNS_PARTITION,
  buildKey,
  claimKey,
  type ClaimItem,
  buildPrefix,
  expiryIndexKey,
  inputKey,
  latestByLayerIndex,
  latestKey,
  latestPrefix,
  layerKey,
  regionsKey,
  REGION_HEALTH_PARTITION,
  regionHealthKey,
  regionHealthPolicyKey,
  type RegionHealthItem,
  type RegionHealthPolicyItem,
  outcomeKey,
  outcomePrefix,
  runIndexKey,
  runKey,
  type OutcomeItem,
  type RunOutcome,
  versionKey,
  versionPrefix,
  type BuildItem,
  type InputItem,
  type LatestItem,
  type LayerItem,
  type RegionsItem,
  type RunItem,
  type VersionItem,
} from '../../schema/table';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { documentClient, listingReadClientFor, plainClientFor, tableName } from '../aws/dynamodb';
import { afterWrite } from '../shared/crash-points';
import { LISTED_JSON, listedJson } from '../listing/items';

export type Key = Record<string, unknown>;

export interface Page<T> {
  items: T[];
  /** Where the next page starts; undefined on the last page. */
  lastKey?: Key;
}

export interface PageRequest {
  limit?: number;
  startKey?: Key;
}

/** A version as Publish reports it, before it is stored. */
export type NewVersion = Omit<VersionItem, 'pk' | 'sk' | 'type' | 'status' | 'gsi2pk' | 'gsi2sk' | 'deprecatedAt' | 'expiresAt' | 'deletedAt'>;

/** A version recordPublished deprecated, as it recorded it. */
export type DeprecatedVersion = Pick<VersionItem, 'version' | 'arn'> & { deprecatedAt: string; expiresAt: string };

/** What recordPublished changed, so Publish can report a repair of the records (and announce what it did). */
export interface RecordChanges {
  /** The version item was missing or named other content, or the pointer named another version. */
  record: boolean;
  /** Versions marked latest that are now deprecated: older ones, or this one when a newer one is latest already. */
  deprecated: DeprecatedVersion[];
  /** Whether the pointer named this version when recording ended (its last conditional write said so). */
  latest: boolean;
  /** The run that published this version, as its record says (`VersionItem.publishedBy`). */
  publishedBy?: string;
}

/**
 * Whether a claim was won: `held` means another run holds it still. A won claim is `fresh` when no claim item
 * existed before: no run ever held it, so none can have published this content to this region.
 */
export type ClaimResult = { won: true; claim: ClaimItem; fresh: boolean } | { won: false; holder: ClaimItem };

const DAY_MS = 24 * 60 * 60 * 1000;

const isConditionFailure = (error: unknown) => (error as Error)?.name === 'ConditionalCheckFailedException';

/**
 * lamina's records in the single DynamoDB table: the only code that reads or writes it. Every read is a GetItem
 * or a Query on a key schema/table.ts forms; nothing scans. Writes are ordered so that repeating one is safe
 * (no transactions: the embedded DynamoDB has none).
 */
export class LayerStore {
  constructor(
    private readonly db: DynamoDBDocumentClient = documentClient(),
    private readonly table: string = tableName(),
  ) {}

  /** Where plain commands go (functions/aws/dynamodb.ts plainClientFor). */
  private plain?: ReturnType<typeof plainClientFor>;

  /** Where the listing's projected Queries go (functions/aws/dynamodb.ts listingReadClientFor). */
  private listingReads?: ReturnType<typeof listingReadClientFor>;

  private plainClient(): ReturnType<typeof plainClientFor> {
    return (this.plain ??= plainClientFor(this.db));
  }

  /**
   * PutItem, with an optional condition: the service's own command, marshalled here (util-dynamodb, the document
   * client's marshalling with its removeUndefinedValues) and sent by the plain client, which resolves its middleware
   * once per command class, where a document command resolves two stacks per request. Publish's writes go this way:
   * they are most of a run's requests.
   */
  private async putItem(item: object, condition?: { expression: string; names?: Record<string, string>; values?: Record<string, unknown> }): Promise<void> {
    await this.plainClient().send(
      new PutItemCommand({
        TableName: this.table,
        Item: marshall(item, { removeUndefinedValues: true }),
        ...(condition
          ? {
              ConditionExpression: condition.expression,
              ...(condition.names ? { ExpressionAttributeNames: condition.names } : {}),
              ...(condition.values ? { ExpressionAttributeValues: marshall(condition.values, { removeUndefinedValues: true }) } : {}),
            }
          : {}),
      }),
    );
  }

  private async get<T>(key: Key): Promise<T | undefined> {
    const result = await this.db.send(new GetCommand({ TableName: this.table, Key: key }));
    return result.Item as T | undefined;
  }

  /**
   * Several items by key in one BatchGetItem (as consistent as GetItem: eventually), each undefined when there is
   * none; keys DynamoDB leaves unprocessed are asked again.
   */
  private async getEach<T extends unknown[]>(...keys: Key[]): Promise<{ [I in keyof T]: T[I] | undefined }> {
    const found = new Map<string, Record<string, unknown>>();
    const id = (key: Record<string, unknown>) => `${key.pk}\u0000${key.sk}`;
    let pending: Key[] | undefined = keys;
    while (pending?.length) {
      const result = await this.db.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending } } }));
      for (const item of result.Responses?.[this.table] ?? []) found.set(id(item), item);
      pending = result.UnprocessedKeys?.[this.table]?.Keys as Key[] | undefined;
    }
    return keys.map((key) => found.get(id(key as Record<string, unknown>))) as { [I in keyof T]: T[I] | undefined };
  }

  private async query<T>(input: Omit<QueryCommandInput, 'TableName'>, page: PageRequest = {}, attributes?: readonly string[]): Promise<Page<T>> {
    if (attributes) return this.projectedQuery<T>(input, page, attributes);
    const result = await this.db.send(
      new QueryCommand({ ...input, TableName: this.table, Limit: page.limit, ExclusiveStartKey: page.startKey }),
    );
    return { items: (result.Items ?? []) as T[], lastKey: result.LastEvaluatedKey };
  }

  /**
   * A Query that reads only `attributes` of each item: the listing API's hot path. DynamoDB sends (and the SDK
   * parses) only those, and the items are unmarshalled once, by util-dynamodb, rather than walked again by the
   * document client's middleware. It is sent by the process's listing reader (functions/aws/dynamodb.ts
   * listingReadClient: a lean signed request, the SDK client where that does not answer cleanly).
   */
  private async projectedQuery<T>(input: Omit<QueryCommandInput, 'TableName'>, page: PageRequest, attributes: readonly string[]): Promise<Page<T>> {
    const names: Record<string, string> = { ...input.ExpressionAttributeNames };
    const projection = attributes.map((attribute, index) => {
      names[`#p${index}`] = attribute;
      return `#p${index}`;
    });
    // In QueryInput's member order, as the SDK's serializer writes it (functions/aws/dynamodb-query-request.ts queryBody).
    const result = await (this.listingReads ??= listingReadClientFor(this.db)).query({
      TableName: this.table,
      IndexName: input.IndexName,
      Limit: page.limit,
      ScanIndexForward: input.ScanIndexForward,
      ExclusiveStartKey: page.startKey && marshall(page.startKey),
      ProjectionExpression: projection.join(','),
      FilterExpression: input.FilterExpression,
      KeyConditionExpression: input.KeyConditionExpression,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: input.ExpressionAttributeValues && marshall(input.ExpressionAttributeValues, { removeUndefinedValues: true }),
    });
    return { items: (result.Items ?? []).map((item) => unmarshall(item) as T), lastKey: result.LastEvaluatedKey && unmarshall(result.LastEvaluatedKey) };
  }

  /** Follows every page of a query (for bounded sets: one layer's versions in one region, expired versions). */
  private async queryAll<T>(input: Omit<QueryCommandInput, 'TableName'>): Promise<T[]> {
    const items: T[] = [];
    let startKey: Key | undefined;
    do {
      const page = await this.query<T>(input, { startKey });
      items.push(...page.items);
      startKey = page.lastKey;
    } while (startKey);
    return items;
  }

  // ---- layers, inputs and builds ----------------------------------------------------------------------------
  async putLayer(layer: Omit<LayerItem, 'pk' | 'sk' | 'type'>): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...layerKey(layer.layerName), type: 'layer', ...layer } }));
    afterWrite('build:layer');
  }

  getLayer(layerName: string): Promise<LayerItem | undefined> {
    return this.get(layerKey(layerName));
  }

  /** Which build these inputs produced, if any: Plan's "would the content change?" */
  getInput(layerName: string, inputHash: string): Promise<InputItem | undefined> {
    return this.get(inputKey(layerName, inputHash));
  }

  /** Whether a build with this content exists. */
  getBuild(layerName: string, sha256: string): Promise<BuildItem | undefined> {
    return this.get(buildKey(layerName, sha256));
  }

  /**
   * A layer's builds, their small attributes only (no manifest): the listing API finds a layer's newest SBOM
   * with this one Query.
   */
  listBuilds(layerName: string, page: PageRequest = {}): Promise<Page<Pick<BuildItem, 'layerName' | 'sha256' | 'builtAt' | 'sbomKey'>>> {
    const { pk, skPrefix } = buildPrefix(layerName);
    return this.query(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
        ProjectionExpression: 'pk, sk, layerName, sha256, builtAt, sbomKey',
      },
      page,
    );
  }

  /** Records a build, then the inputs that made it (in that order: an input item always names a stored build). */
  async putBuild(build: Omit<BuildItem, 'pk' | 'sk' | 'type'>): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.table, Item: { ...buildKey(build.layerName, build.sha256), type: 'build', ...build } }),
    );
    afterWrite('build:build-item');
    const input: InputItem = {
      ...inputKey(build.layerName, build.inputHash),
      type: 'input',
      layerName: build.layerName,
      inputHash: build.inputHash,
      sha256: build.sha256,
      recordedAt: build.builtAt,
    };
    await this.db.send(new PutCommand({ TableName: this.table, Item: input }));
    afterWrite('build:input-item');
  }

  // ---- published versions ----------------------------------------------------------------------------------
  getVersion(layerName: string, region: string, version: number): Promise<VersionItem | undefined> {
    return this.get(versionKey(layerName, region, version));
  }

  /** Every version of a layer in a region, newest first. */
  listVersions(layerName: string, region: string, page: PageRequest = {}): Promise<Page<VersionItem>> {
    const { pk, skPrefix } = versionPrefix(layerName, region);
    return this.query<VersionItem>(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
        ScanIndexForward: false,
      },
      page,
    );
  }

  /** One region's latest pointer of a layer; `consistent`: a strongly consistent read (sees every write before it). */
  async getLatest(region: string, layerName: string, consistent = false): Promise<LatestItem | undefined> {
    const { pk, sk } = latestKey(region, layerName);
    if (!consistent) return this.get({ pk, sk });
    // After every Publish (its SSM lookup's re-read): a plain GetItem, as putItem's writes.
    const { Item } = await this.plainClient().send(new GetItemCommand({ TableName: this.table, Key: marshall({ pk, sk }), ConsistentRead: true }));
    return Item && (unmarshall(Item) as LatestItem);
  }

  /** The latest version of every layer in a region (a person's filters go in `filter`, never into the key). */
  listLatestInRegion(
    region: string,
    page: PageRequest = {},
    filter?: Pick<QueryCommandInput, 'FilterExpression' | 'ExpressionAttributeNames'> & { values?: Record<string, unknown> },
    attributes?: readonly string[],
  ): Promise<Page<LatestItem>> {
    const { pk, skPrefix } = latestPrefix(region);
    return this.query<LatestItem>(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        FilterExpression: filter?.FilterExpression,
        ExpressionAttributeNames: filter?.ExpressionAttributeNames,
        ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix, ...(filter?.values ?? {}) },
      },
      page,
      attributes,
    );
  }

  /** The latest version of one layer in every region (GSI1). */
  listLatestForLayer(layerName: string, page: PageRequest = {}, attributes?: readonly string[]): Promise<Page<LatestItem>> {
    return this.query<LatestItem>(
      {
        IndexName: GSI1.name,
        KeyConditionExpression: `${GSI1.pk} = :pk`,
        ExpressionAttributeValues: { ':pk': latestByLayerIndex(layerName).gsi1pk },
      },
      page,
      attributes,
    );
  }

  /**
   * Step 1 of recording, for a version PublishLayerVersion has just made: its item, naming the run that made it,
   * written at once (before its permissions), so that a retry of a step that fails after PublishLayerVersion knows
   * this run published it. `recordPublished(..., { publishedNow: true })` goes on from step 2.
   */
  async recordNewVersion(version: NewVersion, publishedBy: string): Promise<void> {
    const item: VersionItem = { ...version, ...versionKey(version.layerName, version.region, version.version), type: 'version', status: 'latest', publishedBy };
    await this.putItem(item);
    afterWrite('publish:version-item');
  }

  /**
   * Records a published version and moves the latest pointer to it, then deprecates every older version still
   * marked latest. Each step is safe to repeat, so a retried Publish (or the next run's) converges on the same
   * records; the pointer moves before anything is deprecated, and the deprecation query does not trust the
   * pointer, so a crash between the two is completed by the next Publish of this version. The pointer is written
   * settled at once where nothing can be left to deprecate: for version 1 (no version is older), and where there
   * is no pointer yet and the query finds no older version marked latest, on condition that there still is none
   * (schema/README.md, "Write order"). `publishedNow`: PublishLayerVersion has just made this version and
   * `recordNewVersion` has written its item, so there is nothing to read or write first.
   */
  async recordPublished(version: NewVersion, expiryDays: number, now = new Date(), { publishedNow = false } = {}): Promise<RecordChanges> {
    const pointer = latestKey(version.region, version.layerName);
    const [existing, current] = publishedNow
      ? [undefined, undefined]
      : await this.getEach<[VersionItem, LatestItem]>(versionKey(version.layerName, version.region, version.version), { pk: pointer.pk, sk: pointer.sk });
    const changes: RecordChanges = {
      record:
        !existing ||
        existing.sha256 !== version.sha256 ||
        existing.arn !== version.arn ||
        !current ||
        current.version < version.version,
      deprecated: [],
      latest: false,
      ...(existing?.publishedBy ? { publishedBy: existing.publishedBy } : {}),
    };
    const item: VersionItem = {
      ...existing,
      ...version,
      ...versionKey(version.layerName, version.region, version.version),
      type: 'version',
      status: existing?.status === 'deleted' ? 'latest' : (existing?.status ?? 'latest'),
    };
    if (!publishedNow) {
      await this.putItem(item);
      afterWrite('publish:version-item');
    }

    const { pk: _pk, sk: _sk, type: _type, gsi2pk: _g2pk, gsi2sk: _g2sk, publishedBy: _by, ...attributes } = item;
    const latest: LatestItem = { ...attributes, ...pointer, type: 'latest', status: 'latest' };
    const putPointer = async ({ settled, onlyIfNone = false }: { settled: boolean; onlyIfNone?: boolean }): Promise<boolean> => {
      try {
        await this.putItem(
          { ...latest, [LISTED_JSON]: listedJson(latest), ...(settled ? { settled: true } : {}) },
          // `onlyIfNone`: settled on the strength of a query made before it, so only where no pointer exists; one
          // written since may name a version the query did not see deprecated (an older one, recorded meanwhile).
          onlyIfNone
            ? { expression: 'attribute_not_exists(pk)' }
            : { expression: 'attribute_not_exists(pk) OR #version <= :version', names: { '#version': 'version' }, values: { ':version': version.version } },
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        return false;
      }
      afterWrite('publish:latest-pointer');
      return true;
    };
    const superseded = async (): Promise<RecordChanges> => {
      // A newer version is already latest: this one was superseded before it was recorded.
      const deprecated = await this.deprecate(version, expiryDays, now);
      if (deprecated) changes.deprecated.push(deprecated);
      return changes;
    };

    // Version numbers start at 1: nothing is older than version 1, so its pointer is settled as it is written.
    if (version.version === 1) return (await putPointer({ settled: true })) ? { ...changes, latest: true } : superseded();
    if (!publishedNow && !current && (await this.olderStillLatest(version)).length === 0 && (await putPointer({ settled: true, onlyIfNone: true }))) {
      return { ...changes, latest: true };
    }
    if (!(await putPointer({ settled: false }))) return superseded();
    for (const previous of await this.olderStillLatest(version)) {
      const deprecated = await this.deprecate(previous, expiryDays, now);
      if (deprecated) changes.deprecated.push(deprecated);
    }
    // Last: the pointer says its older versions are all deprecated. A pointer without it (a crash came between)
    // sends the region back to Publish on the next run, which completes the deprecation.
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: pointer.pk, sk: pointer.sk },
          UpdateExpression: 'SET settled = :true',
          ConditionExpression: '#version = :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':true': true, ':version': version.version },
        }),
      );
      changes.latest = true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    return changes;
  }

  /** The versions older than `version` still marked latest (pattern 2, filtered): what recording it deprecates. */
  private olderStillLatest(version: Pick<VersionItem, 'layerName' | 'region' | 'version'>): Promise<VersionItem[]> {
    const { pk, skPrefix } = versionPrefix(version.layerName, version.region);
    return this.queryAll<VersionItem>({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: '#status = :latest AND #version < :version',
      ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
      ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix, ':latest': 'latest', ':version': version.version },
    });
  }

  /**
   * Records a version Lambda holds but lamina refuses (its CodeSha256 is not the verified zip's): deprecated with
   * an expiry of now, never latest, so that Expire deletes it and nothing unrecorded stays published.
   */
  async recordRefused(version: NewVersion, now = new Date()): Promise<void> {
    const expiresAt = now.toISOString();
    const item: VersionItem = {
      ...version,
      ...versionKey(version.layerName, version.region, version.version),
      ...expiryIndexKey(expiresAt, version.layerName, version.region, version.version),
      type: 'version',
      status: 'deprecated',
      deprecatedAt: expiresAt,
      expiresAt,
    };
    await this.db.send(new PutCommand({ TableName: this.table, Item: item }));
  }

  getClaim(layerName: string, region: string, sha256: string): Promise<ClaimItem | undefined> {
    return this.get(claimKey(layerName, region, sha256));
  }

  /**
   * Claims the right to publish `sha256` to `region` for `owner` (a run id), with a lease: a conditional write
   * that succeeds when nobody holds the claim, its lease ran out (the holder died), or `owner` holds it already
   * (a retried step). `tryNew` first tries the claim as a new item (`attribute_not_exists`), which is one request
   * where no run ever claimed this content here, and says so (`fresh`). Claims are never deleted (a released one
   * keeps its item), so a fresh claim means no run has published this content to this region. A retried step of
   * the owner gets the claim again (not fresh). See schema/README.md, "Claims".
   */
  async claimPublish(
    layerName: string,
    region: string,
    sha256: string,
    owner: string,
    leaseMs: number,
    now = Date.now(),
    tryNew = false,
  ): Promise<ClaimResult> {
    const key = claimKey(layerName, region, sha256);
    const fresh: ClaimItem = { ...key, type: 'claim', layerName, region, sha256, owner, claimedAt: new Date(now).toISOString(), leaseUntil: now + leaseMs };
    if (tryNew) {
      try {
        await this.putItem(fresh, { expression: 'attribute_not_exists(pk)' });
        afterWrite('publish:claim');
        return { won: true, claim: fresh, fresh: true };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    const previous = await this.get<ClaimItem>(key);
    if (previous && previous.owner !== owner && previous.leaseUntil > now) return { won: false, holder: previous };
    const claim: ClaimItem = {
      ...fresh,
      ...(previous?.owner === owner ? { claimedAt: previous.claimedAt } : {}),
    };
    try {
      await this.putItem(claim, {
        expression: 'attribute_not_exists(pk) OR leaseUntil < :now OR #owner = :owner',
        names: { '#owner': 'owner' },
        values: { ':now': now, ':owner': owner },
      });
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const holder = await this.get<ClaimItem>(key);
      return { won: false, holder: holder ?? previous! };
    }
    afterWrite('publish:claim');
    return { won: true, claim, fresh: false };
  }

  /**
   * Updates a claim its owner holds: extends the lease, or releases it (leaseUntil 0). Returns false when the claim
   * is no longer the owner's (its lease ran out and another run took it).
   */
  async updateClaim(claim: Pick<ClaimItem, 'layerName' | 'region' | 'sha256' | 'owner'>, change: { leaseUntil: number }): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: claimKey(claim.layerName, claim.region, claim.sha256),
          UpdateExpression: 'SET leaseUntil = :lease',
          ConditionExpression: 'attribute_exists(pk) AND #owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': claim.owner, ':lease': change.leaseUntil },
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return false;
    }
  }

  /** Marks a version deprecated with its expiry date, once (a repeat keeps the first expiry): what it recorded. */
  private async deprecate(
    { layerName, region, version, arn }: Pick<VersionItem, 'layerName' | 'region' | 'version' | 'arn'>,
    expiryDays: number,
    now: Date,
  ): Promise<DeprecatedVersion | undefined> {
    const expiresAt = new Date(now.getTime() + expiryDays * DAY_MS).toISOString();
    const index = expiryIndexKey(expiresAt, layerName, region, version);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: versionKey(layerName, region, version),
          UpdateExpression: 'SET #status = :deprecated, deprecatedAt = :now, expiresAt = :expiresAt, #g2pk = :g2pk, #g2sk = :g2sk',
          ConditionExpression: 'attribute_exists(pk) AND #status = :latest',
          ExpressionAttributeNames: { '#status': 'status', '#g2pk': GSI2.pk, '#g2sk': GSI2.sk },
          ExpressionAttributeValues: {
            ':deprecated': 'deprecated',
            ':latest': 'latest',
            ':now': now.toISOString(),
            ':expiresAt': expiresAt,
            ':g2pk': index.gsi2pk,
            ':g2sk': index.gsi2sk,
          },
        }),
      );
      afterWrite('publish:deprecate');
      return { version, arn, deprecatedAt: now.toISOString(), expiresAt };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return undefined;
    }
  }

  /** Deprecated versions whose expiry date is at or before `now` (GSI2, sparse). */
  listExpired(now = new Date(), page: PageRequest = {}): Promise<Page<VersionItem>> {
    return this.query<VersionItem>(
      {
        IndexName: GSI2.name,
        KeyConditionExpression: `${GSI2.pk} = :pk AND ${GSI2.sk} <= :now`,
        ExpressionAttributeValues: { ':pk': EXPIRY_PARTITION, ':now': `${now.toISOString()}#\uffff` },
      },
      page,
    );
  }

  /** Marks a deleted version and takes it out of the expiry index. */
  async markDeleted(layerName: string, region: string, version: number, now = new Date()): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: versionKey(layerName, region, version),
        UpdateExpression: 'SET #status = :deleted, deletedAt = :now REMOVE #g2pk, #g2sk',
        ExpressionAttributeNames: { '#status': 'status', '#g2pk': GSI2.pk, '#g2sk': GSI2.sk },
        ExpressionAttributeValues: { ':deleted': 'deleted', ':now': now.toISOString() },
      }),
    );
    afterWrite('expire:mark-deleted');
  }

  // ---- runs and regions ------------------------------------------------------------------------------------
  async putRun(run: Omit<RunItem, 'pk' | 'sk' | 'type' | 'gsi1pk' | 'gsi1sk'>): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...runKey(run.runId), ...runIndexKey(run.startedAt, run.runId), type: 'run', ...run },
      }),
    );
    afterWrite('report:run');
  }

  /** Records what happened to a layer (in a region) in a run; a retried step overwrites its own outcome. */
  async putOutcome(runId: string, outcome: RunOutcome): Promise<void> {
    const item: OutcomeItem = { ...outcomeKey(runId, outcome.layerName, outcome.region), type: 'outcome', runId, ...outcome };
    await this.putItem(item);
  }

  /** Every outcome of a run, by layer then region. */
  async listOutcomes(runId: string): Promise<RunOutcome[]> {
    const { pk, skPrefix } = outcomePrefix(runId);
    const items = await this.queryAll<OutcomeItem>({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
    });
    return items.map(({ pk: _pk, sk: _sk, type: _type, runId: _runId, ...outcome }) => outcome);
  }

  getRun(runId: string): Promise<RunItem | undefined> {
    return this.get(runKey(runId));
  }

  /** Runs, newest first (GSI1). */
  listRuns(page: PageRequest = {}): Promise<Page<RunItem>> {
    return this.query<RunItem>(
      {
        IndexName: GSI1.name,
        KeyConditionExpression: `${GSI1.pk} = :pk`,
        ExpressionAttributeValues: { ':pk': RUNS_PARTITION },
        ScanIndexForward: false,
      },
      page,
    );
  }

  async putRegions(regions: string[], now = new Date()): Promise<void> {
    const item: RegionsItem = { ...regionsKey(), type: 'regions', regions, updatedAt: now.toISOString() };
    await this.db.send(new PutCommand({ TableName: this.table, Item: item }));
    afterWrite('report:regions');
  }

  async getRegions(): Promise<string[]> {
    return (await this.get<RegionsItem>(regionsKey()))?.regions ?? [];
  }

  // ---- region health (functions/regions/health.ts) ----------------------------------------------------------
  /** Every region's health record (one Query: one item per region ever recorded, and the policy). */
  async listRegionHealth(): Promise<{ regions: Omit<RegionHealthItem, 'pk' | 'sk' | 'type'>[]; unhealthyAfterRuns?: number }> {
    const items = await this.queryAll<RegionHealthItem | RegionHealthPolicyItem>({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': REGION_HEALTH_PARTITION },
    });
    const policy = items.find((item): item is RegionHealthPolicyItem => item.type === 'region-health-policy');
    const regions = items
      .filter((item): item is RegionHealthItem => item.type === 'region-health')
      .map(({ pk: _pk, sk: _sk, type: _type, ...health }) => health);
    return { regions, unhealthyAfterRuns: policy?.unhealthyAfterRuns };
  }

  async getRegionHealth(region: string): Promise<Omit<RegionHealthItem, 'pk' | 'sk' | 'type'> | undefined> {
    const item = await this.get<RegionHealthItem>(regionHealthKey(region));
    if (!item) return undefined;
    const { pk: _pk, sk: _sk, type: _type, ...health } = item;
    return health;
  }

  async putRegionHealth(health: Omit<RegionHealthItem, 'pk' | 'sk' | 'type'>): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...regionHealthKey(health.region), type: 'region-health', ...health } }));
  }

  async putRegionHealthPolicy(unhealthyAfterRuns: number): Promise<void> {
    const item: RegionHealthPolicyItem = { ...regionHealthPolicyKey(), type: 'region-health-policy', unhealthyAfterRuns };
    await this.db.send(new PutCommand({ TableName: this.table, Item: item }));
  }
}
