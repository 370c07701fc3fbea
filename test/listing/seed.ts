import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ArtifactStore } from '../../functions/aws/artifacts';
import type { ListingDeps } from '../../functions/listing/routes';
import { LayerStore, type NewVersion } from '../../functions/store/layer-store';
import { startLocalPipeline, type LocalPipeline } from '../support/local-pipeline';

/** The catalog the listing tests publish with the real local pipeline. */
export const LISTING_CATALOG = `settings: {prefix: lamina, regions: [us-east-1, eu-west-1, ap-southeast-2], expiryDays: 30}
layers: [{name: bash, kind: bash-runtime}]
`;
export const PIPELINE_REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];

export const PY312_ARM = 'lamina-py312-arm64-requests';
export const PY313_X86 = 'lamina-py313-x86_64-requests';
export const SBOM_KEY = `layers/${PY312_ARM}/${'c'.repeat(64)}/sbom.cdx.json`;
export const SBOM_DOCUMENT = JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', components: [{ name: 'requests', version: '2.32.3' }] });

/** A DynamoDB document client that counts the requests it sends (by command name). */
export function countingDocumentClient() {
  const calls: string[] = [];
  const client = new DynamoDBClient({});
  client.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return { db, calls, destroy: () => client.destroy() };
}

function fakeVersion(layerName: string, region: string, version: number, extra: Partial<NewVersion>): NewVersion {
  return {
    layerName,
    region,
    version,
    arn: `arn:aws:lambda:${region}:000000000000:layer:${layerName}:${version}`,
    layerArn: `arn:aws:lambda:${region}:000000000000:layer:${layerName}`,
    sha256: `${version}`.repeat(64).slice(0, 64),
    codeSha256: 'seeded',
    entry: 'requests',
    kind: 'python',
    runtimes: ['python3.12'],
    architectures: ['arm64'],
    description: `requests for ${layerName}`,
    packageVersion: '2.32.3',
    size: 1000,
    publishedAt: new Date(Date.UTC(2026, 0, version)).toISOString(),
    ...extra,
  };
}

export interface SeededListing {
  pipeline: LocalPipeline;
  /** When the seeding deprecated lamina-bash version 1 in eu-west-1 (its expiry is 30 days later). */
  deprecatedAt: Date;
  bashVersion1: { arn: string };
  deps(secret?: string): ListingDeps & { calls: string[] };
  close(): Promise<void>;
}

/**
 * A local table seeded by a real local pipeline run (lamina-bash, version 1, in three regions), plus records the
 * catalog's one kind cannot make: a second lamina-bash version in eu-west-1 (so version 1 is deprecated with an
 * expiry date), two Python layers with other runtimes and architectures, and a build with an SBOM.
 */
export async function seedListing(): Promise<SeededListing> {
  const pipeline = await startLocalPipeline(LISTING_CATALOG);
  const clients: { destroy(): void }[] = [];
  try {
    const { summary, outcomes } = await pipeline.run();
    if (summary.failed) throw new Error(`the seeding run failed: ${JSON.stringify(outcomes)}`);
    const store = new LayerStore();
    const bash1 = await store.getLatest('eu-west-1', 'lamina-bash');
    if (!bash1) throw new Error('the seeding run recorded no lamina-bash in eu-west-1');
    const deprecatedAt = new Date();
    const { pk: _pk, sk: _sk, type: _type, status: _status, gsi1pk: _g1, gsi1sk: _g2, ...attributes } = bash1;
    await store.recordPublished(
      { ...attributes, version: 2, arn: bash1.arn.replace(/:1$/, ':2'), sha256: 'b'.repeat(64), publishedAt: deprecatedAt.toISOString() },
      30,
      deprecatedAt,
    );
    for (const region of ['eu-west-1', 'us-east-1']) await store.recordPublished(fakeVersion(PY312_ARM, region, 1, {}), 30);
    await store.recordPublished(fakeVersion(PY313_X86, 'eu-west-1', 1, { runtimes: ['python3.13'], architectures: ['x86_64'] }), 30);
    await store.putBuild({
      layerName: PY312_ARM,
      sha256: 'c'.repeat(64),
      codeSha256: 'seeded',
      size: 1000,
      unzippedSize: 4000,
      inputHash: 'd'.repeat(64),
      artifactKey: `layers/${PY312_ARM}/${'c'.repeat(64)}.zip`,
      description: 'requests',
      sbomKey: SBOM_KEY,
      builtAt: new Date().toISOString(),
    });
    const artifacts = ArtifactStore.fromEnvironment();
    await artifacts.putText(SBOM_KEY, SBOM_DOCUMENT, 'application/json');
    return {
      pipeline,
      deprecatedAt,
      bashVersion1: { arn: bash1.arn },
      deps(secret) {
        const counting = countingDocumentClient();
        clients.push(counting);
        return {
          store: new LayerStore(counting.db, process.env.LAMINA_TABLE),
          readArtifact: (key) => artifacts.getText(key),
          cursorSecret: secret,
          calls: counting.calls,
        };
      },
      close: async () => {
        for (const client of clients) client.destroy();
        await pipeline.close();
      },
    };
  } catch (error) {
    await pipeline.close();
    throw error;
  }
}
