import { statementsFor, type LayerVersionRef, type PublishRequest } from '../../functions/aws/lambda-layers';
import { MAX_DIRECT_UPLOAD_BYTES, publish, type PublishDeps } from '../../functions/publish/publish';
import type { PublishEvent } from '../../functions/shared/pipeline-events';

function event(overrides: Partial<PublishEvent['layer']> = {}): PublishEvent {
  return {
    runId: 'r',
    region: 'eu-west-1',
    settings: { prefix: 'lamina', visibility: 'public', expiryDays: 30 },
    layer: {
      layerName: 'lamina-bash',
      entry: 'bash',
      kind: 'bash-runtime',
      runtimes: ['provided.al2023'],
      architectures: ['x86_64'],
      description: 'd',
      sha256: 'aa',
      codeSha256: 'NEW=',
      size: 10,
      unzippedSize: 20,
      artifactKey: 'layers/lamina-bash/aa.zip',
      ...overrides,
    },
  };
}

function fakes(newest?: Partial<LayerVersionRef>) {
  const calls = { published: [] as PublishRequest[], visibility: [] as number[], recorded: [] as number[], copied: [] as string[], outcomes: [] as string[] };
  const ref = (version: number, codeSha256: string): LayerVersionRef => ({
    layerArn: 'arn:aws:lambda:eu-west-1:1:layer:lamina-bash',
    arn: `arn:aws:lambda:eu-west-1:1:layer:lamina-bash:${version}`,
    version,
    codeSha256,
    codeSize: 10,
    createdDate: '2026-01-01T00:00:00.000+0000',
  });
  const deps: PublishDeps = {
    api: {
      newestVersion: async () => (newest ? { ...ref(newest.version ?? 1, newest.codeSha256 ?? 'OLD='), ...newest } : undefined),
      publish: async (request) => {
        calls.published.push(request);
        return ref((newest?.version ?? 0) + 1, 'NEW=');
      },
      applyVisibility: async (_name, version) => {
        calls.visibility.push(version);
        return { added: [], removed: [] };
      },
    },
    store: {
      recordPublished: async (version) => void calls.recorded.push(version.version),
      putOutcome: async (runId, outcome) => void calls.outcomes.push(`${runId} ${outcome.region} ${outcome.status} ${outcome.version}`),
    },
    artifacts: {
      bucket: 'b',
      getBuffer: async () => Buffer.from('zip'),
      copyTo: async (bucket, region, key) => void calls.copied.push(`${bucket} ${region} ${key}`),
    },
  };
  return { deps, calls };
}

describe('publish (one region)', () => {
  it('publishes a first version, sets its permissions and records it', async () => {
    const { deps, calls } = fakes();
    const outcome = await publish(event(), deps);
    expect(outcome).toEqual({ layerName: 'lamina-bash', region: 'eu-west-1', status: 'published', version: 1, arn: 'arn:aws:lambda:eu-west-1:1:layer:lamina-bash:1' });
    expect(calls.published[0].content).toEqual({ zipFile: Buffer.from('zip') });
    expect(calls.visibility).toEqual([1]);
    expect(calls.recorded).toEqual([1]);
    expect(calls.outcomes).toEqual(['r eu-west-1 published 1']);
  });

  it('publishes nothing when the newest version already holds the content, but still reconciles and records it', async () => {
    const { deps, calls } = fakes({ version: 4, codeSha256: 'NEW=' });
    const outcome = await publish(event(), deps);
    expect(outcome.status).toBe('unchanged');
    expect(outcome.version).toBe(4);
    expect(calls.published).toEqual([]);
    expect(calls.visibility).toEqual([4]);
    expect(calls.recorded).toEqual([4]);
    expect(calls.outcomes).toEqual(['r eu-west-1 unchanged 4']);
  });

  it('publishes a new version when the newest holds other content', async () => {
    const { deps, calls } = fakes({ version: 4, codeSha256: 'OLD=' });
    expect((await publish(event(), deps)).version).toBe(5);
    expect(calls.published).toHaveLength(1);
  });

  it('sends a zip over 50 MB through the bucket of its region, and fails clearly where there is none', async () => {
    const big = event({ size: MAX_DIRECT_UPLOAD_BYTES + 1 });
    const { deps, calls } = fakes();
    await expect(publish(big, deps)).rejects.toThrow(/over the 52428800-byte direct upload limit, and eu-west-1 has no staging bucket/);
    expect(calls.published).toEqual([]);
    await publish(big, { ...deps, bucketInRegion: (region) => `stage-${region}` });
    expect(calls.copied).toEqual(['stage-eu-west-1 eu-west-1 layers/lamina-bash/aa.zip']);
    expect(calls.published[0].content).toEqual({ s3Bucket: 'stage-eu-west-1', s3Key: 'layers/lamina-bash/aa.zip' });
    // The artifact bucket itself (its own region, or the local stand-in) needs no copy.
    await publish(big, { ...deps, bucketInRegion: () => 'b' });
    expect(calls.copied).toHaveLength(1);
    expect(calls.published[1].content).toEqual({ s3Bucket: 'b', s3Key: 'layers/lamina-bash/aa.zip' });
  });

  it('refuses to record a version whose CodeSha256 differs from the built zip', async () => {
    const { deps, calls } = fakes();
    deps.api.publish = async () => ({ layerArn: 'a', arn: 'a:1', version: 1, codeSha256: 'TAMPERED=', codeSize: 1, createdDate: 'x' });
    await expect(publish(event(), deps)).rejects.toThrow(/reports CodeSha256 TAMPERED= .* but the built zip is NEW=/);
    expect(calls.recorded).toEqual([]);
    expect(calls.outcomes).toEqual([]);
  });
});

describe('visibility → permission statements', () => {
  it('asks for exactly what is configured', () => {
    expect(statementsFor('private')).toEqual([]);
    expect(statementsFor('public')).toEqual([{ statementId: 'lamina-public', principal: '*' }]);
    expect(statementsFor({ organization: 'o-abcdefghij' })).toEqual([
      { statementId: 'lamina-organization', principal: '*', organizationId: 'o-abcdefghij' },
    ]);
    expect(statementsFor({ accounts: ['111111111111', '222222222222'] }).map((s) => s.principal)).toEqual(['111111111111', '222222222222']);
  });
});
