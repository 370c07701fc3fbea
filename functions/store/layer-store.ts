import {
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
  buildPrefix,
  expiryIndexKey,
  inputKey,
  latestByLayerIndex,
  latestKey,
  latestPrefix,
  layerKey,
  regionsKey,
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
import { documentClient, tableName } from '../aws/dynamodb';

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

  private async get<T>(key: Key): Promise<T | undefined> {
    const result = await this.db.send(new GetCommand({ TableName: this.table, Key: key }));
    return result.Item as T | undefined;
  }

  private async query<T>(input: Omit<QueryCommandInput, 'TableName'>, page: PageRequest = {}): Promise<Page<T>> {
    const result = await this.db.send(
      new QueryCommand({ ...input, TableName: this.table, Limit: page.limit, ExclusiveStartKey: page.startKey }),
    );
    return { items: (result.Items ?? []) as T[], lastKey: result.LastEvaluatedKey };
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
    const input: InputItem = {
      ...inputKey(build.layerName, build.inputHash),
      type: 'input',
      layerName: build.layerName,
      inputHash: build.inputHash,
      sha256: build.sha256,
      recordedAt: build.builtAt,
    };
    await this.db.send(new PutCommand({ TableName: this.table, Item: input }));
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

  getLatest(region: string, layerName: string): Promise<LatestItem | undefined> {
    const { pk, sk } = latestKey(region, layerName);
    return this.get({ pk, sk });
  }

  /** The latest version of every layer in a region (a person's filters go in `filter`, never into the key). */
  listLatestInRegion(
    region: string,
    page: PageRequest = {},
    filter?: Pick<QueryCommandInput, 'FilterExpression' | 'ExpressionAttributeNames'> & { values?: Record<string, unknown> },
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
    );
  }

  /** The latest version of one layer in every region (GSI1). */
  listLatestForLayer(layerName: string, page: PageRequest = {}): Promise<Page<LatestItem>> {
    return this.query<LatestItem>(
      {
        IndexName: GSI1.name,
        KeyConditionExpression: `${GSI1.pk} = :pk`,
        ExpressionAttributeValues: { ':pk': latestByLayerIndex(layerName).gsi1pk },
      },
      page,
    );
  }

  /**
   * Records a published version and moves the latest pointer to it, then deprecates every older version still
   * marked latest. Each step is safe to repeat, so a retried Publish converges on the same records.
   */
  async recordPublished(version: NewVersion, expiryDays: number, now = new Date()): Promise<void> {
    const existing = await this.getVersion(version.layerName, version.region, version.version);
    const item: VersionItem = {
      ...existing,
      ...version,
      ...versionKey(version.layerName, version.region, version.version),
      type: 'version',
      status: existing?.status ?? 'latest',
    };
    await this.db.send(new PutCommand({ TableName: this.table, Item: item }));

    const pointer = latestKey(version.region, version.layerName);
    const { pk: _pk, sk: _sk, type: _type, gsi2pk: _g2pk, gsi2sk: _g2sk, ...attributes } = item;
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...attributes, ...pointer, type: 'latest', status: 'latest' },
          ConditionExpression: 'attribute_not_exists(pk) OR #version <= :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':version': version.version },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // A newer version is already latest: this one was superseded before it was recorded.
      await this.deprecate(version.layerName, version.region, version.version, expiryDays, now);
      return;
    }
    const older = await this.queryAll<VersionItem>({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: '#status = :latest AND #version < :version',
      ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
      ExpressionAttributeValues: {
        ':pk': versionPrefix(version.layerName, version.region).pk,
        ':prefix': versionPrefix(version.layerName, version.region).skPrefix,
        ':latest': 'latest',
        ':version': version.version,
      },
    });
    for (const previous of older) await this.deprecate(previous.layerName, previous.region, previous.version, expiryDays, now);
  }

  /** Marks a version deprecated with its expiry date, once (a repeat keeps the first expiry). */
  private async deprecate(layerName: string, region: string, version: number, expiryDays: number, now: Date): Promise<void> {
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
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
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
  }

  // ---- runs and regions ------------------------------------------------------------------------------------
  async putRun(run: Omit<RunItem, 'pk' | 'sk' | 'type' | 'gsi1pk' | 'gsi1sk'>): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...runKey(run.runId), ...runIndexKey(run.startedAt, run.runId), type: 'run', ...run },
      }),
    );
  }

  /** Records what happened to a layer (in a region) in a run; a retried step overwrites its own outcome. */
  async putOutcome(runId: string, outcome: RunOutcome): Promise<void> {
    const item: OutcomeItem = { ...outcomeKey(runId, outcome.layerName, outcome.region), type: 'outcome', runId, ...outcome };
    await this.db.send(new PutCommand({ TableName: this.table, Item: item }));
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
  }

  async getRegions(): Promise<string[]> {
    return (await this.get<RegionsItem>(regionsKey()))?.regions ?? [];
  }
}
