import { digestOf } from '../../functions/archive/digest';
import type { ClaimItem } from '../../schema/table';
import { statementsFor, type LayerVersionRef, type PublishRequest } from '../../functions/aws/lambda-layers';
import { MAX_DIRECT_UPLOAD_BYTES, publish, type PublishDeps } from '../../functions/publish/publish';
import type { PublishEvent } from '../../functions/shared/pipeline-events';
import { VerifiedZips } from '../../functions/publish/verified-zips';

const ZIP = Buffer.from('zip');
const DIGEST = digestOf(ZIP);

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
      sha256: DIGEST.sha256,
      codeSha256: DIGEST.codeSha256,
      size: 10,
      unzippedSize: 20,
      artifactKey: 'layers/lamina-bash/aa.zip',
      ...overrides,
    },
  };
}

const NEW = DIGEST.codeSha256;

function fakes(newest?: Partial<LayerVersionRef>) {
  const calls = {
    published: [] as PublishRequest[],
    visibility: [] as number[],
    recorded: [] as number[],
    copied: [] as string[],
    deleted: [] as string[],
    refused: [] as number[],
    outcomes: [] as string[],
    reads: 0,
  };
  const claims = new Map<string, ClaimItem>();
  const publishedBy = new Map<number, string>();
  let stored: Buffer = ZIP;
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
        const published = ref((newest?.version ?? 0) + 1, NEW);
        newest = published;
        return published;
      },
      applyVisibility: async (_name, version) => {
        calls.visibility.push(version);
        return { added: [], removed: [] };
      },
    },
    store: {
      recordNewVersion: async (version, runId) => void publishedBy.set(version.version, runId),
      recordPublished: async (version) => {
        calls.recorded.push(version.version);
        return { record: false, deprecated: [], latest: true, publishedBy: publishedBy.get(version.version) };
      },
      recordRefused: async (version) => void calls.refused.push(version.version),
      putOutcome: async (runId, outcome) => void calls.outcomes.push(`${runId} ${outcome.region} ${outcome.status} ${outcome.version}`),
      claimPublish: async (layerName, region, sha256, owner, leaseMs) => {
        const key = `${layerName} ${region} ${sha256}`;
        const holder = claims.get(key);
        if (holder && holder.owner !== owner && holder.leaseUntil > Date.now()) return { won: false, holder };
        const claim = { pk: key, sk: key, type: 'claim' as const, layerName, region, sha256, owner, claimedAt: 'now', leaseUntil: Date.now() + leaseMs };
        claims.set(key, claim);
        return { won: true, claim, fresh: !holder };
      },
      updateClaim: async (claim, change) => {
        const key = `${claim.layerName} ${claim.region} ${claim.sha256}`;
        claims.set(key, { ...claims.get(key)!, ...change });
        return true;
      },
    },
    artifacts: {
      bucket: 'b',
      getBuffer: async () => {
        calls.reads++;
        return stored;
      },
      digest: async () => digestOf(stored),
      copyTo: async (to, key) => void calls.copied.push(`${key} -> ${to.region} s3://${to.bucket}/${to.key} owner ${to.expectedOwner}`),
      deleteIn: async (target) => void calls.deleted.push(`${target.region} s3://${target.bucket}/${target.key}`),
    },
    staging: { overrides: {}, artifactBucket: 'b' },
    verifiedZips: new VerifiedZips(),
  };
  return { deps, calls, claims, tamper: (bytes: Buffer) => void (stored = bytes) };
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
    const { deps, calls } = fakes({ version: 4, codeSha256: NEW });
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
    // An override names the bucket; the copy is staged under a per-run key and deleted once Lambda has it.
    await publish(big, { ...deps, staging: { overrides: { 'eu-west-1': 'mine-eu' }, artifactBucket: 'b' } });
    expect(calls.copied).toEqual([`layers/lamina-bash/aa.zip -> eu-west-1 s3://mine-eu/layers/staged/r/lamina-bash/${DIGEST.sha256}.zip owner undefined`]);
    expect(calls.published[0].content).toEqual({ s3Bucket: 'mine-eu', s3Key: `layers/staged/r/lamina-bash/${DIGEST.sha256}.zip` });
    expect(calls.deleted).toEqual([`eu-west-1 s3://mine-eu/layers/staged/r/lamina-bash/${DIGEST.sha256}.zip`]);
    deps.api.newestVersion = async () => undefined;
    // The artifact bucket in its own region needs no copy, and is never deleted from.
    await publish(big, { ...deps, staging: { overrides: {}, artifactBucket: 'b', artifactRegion: 'eu-west-1' } });
    expect(calls.copied).toHaveLength(1);
    expect(calls.deleted).toHaveLength(1);
    expect(calls.published[1].content).toEqual({ s3Bucket: 'b', s3Key: 'layers/lamina-bash/aa.zip' });
  });

  it("finds the deployment's staging bucket from account, deployment id and region, owned by this account", async () => {
    const big = event({ size: MAX_DIRECT_UPLOAD_BYTES + 1 });
    const { deps, calls } = fakes();
    const staging = { overrides: {}, artifactBucket: 'b', artifactRegion: 'eu-west-1', deployment: { account: '123456789012', deploymentId: 'lamina', regions: ['eu-west-1'] } };
    await publish(big, { ...deps, staging });
    expect(calls.copied).toEqual([
      `layers/lamina-bash/aa.zip -> eu-west-1 s3://lamina-stage-lamina-123456789012-eu-west-1/layers/staged/r/lamina-bash/${DIGEST.sha256}.zip owner 123456789012`,
    ]);
  });

  it('deletes the staged copy when the publish fails too, so a retry starts clean', async () => {
    const big = event({ size: MAX_DIRECT_UPLOAD_BYTES + 1 });
    const { deps, calls } = fakes();
    deps.api.publish = async () => {
      throw Object.assign(new Error('boom'), { name: 'ServiceException' });
    };
    await expect(publish(big, { ...deps, staging: { overrides: { 'eu-west-1': 'mine-eu' }, artifactBucket: 'b' } })).rejects.toThrow('boom');
    expect(calls.deleted).toHaveLength(1);
  });

  it('names the bucket, the region and the remedy when a staging bucket is missing or refuses writes', async () => {
    const big = event({ size: MAX_DIRECT_UPLOAD_BYTES + 1 });
    const staging = { overrides: {}, artifactBucket: 'b', deployment: { account: '123456789012', deploymentId: 'lamina', regions: ['eu-west-1'] } };
    for (const [code, pattern] of [
      ['NoSuchBucket', /staging bucket lamina-stage-lamina-123456789012-eu-west-1 of eu-west-1 does not exist \(NoSuchBucket\); deploy the staging stack of eu-west-1/],
      ['AccessDenied', /may not write to the staging bucket lamina-stage-lamina-123456789012-eu-west-1 of eu-west-1 \(AccessDenied\).*s3:PutObject/],
    ] as const) {
      const { deps, calls } = fakes();
      deps.artifacts.copyTo = async () => {
        throw Object.assign(new Error('s3 said no'), { name: code, Code: code });
      };
      const failure = publish(big, { ...deps, staging });
      await expect(failure).rejects.toThrow(pattern);
      await expect(failure).rejects.toMatchObject({ name: 'StagingBucketError' });
      expect(calls.published).toEqual([]);
    }
  });

  it("checks Lambda's 250 MB unzipped limit before anything is copied or uploaded", async () => {
    const { deps, calls } = fakes();
    let read = 0;
    deps.artifacts.getBuffer = async () => {
      read++;
      return Buffer.from('zip');
    };
    for (const size of [10, MAX_DIRECT_UPLOAD_BYTES + 1]) {
      const huge = event({ size, unzippedSize: 262_144_001 });
      await expect(publish(huge, { ...deps, staging: { overrides: { 'eu-west-1': 'mine-eu' }, artifactBucket: 'b' } })).rejects.toThrow(
        /262144001 bytes unzipped, over Lambda's 262144000-byte limit.*nothing was copied/,
      );
    }
    expect({ copied: calls.copied, read, published: calls.published }).toEqual({ copied: [], read: 0, published: [] });
  });

  it('records as refused (expiring now), never as latest, a version whose CodeSha256 differs from the verified zip', async () => {
    const { deps, calls } = fakes();
    deps.api.publish = async () => ({ layerArn: 'a', arn: 'a:1', version: 1, codeSha256: 'TAMPERED=', codeSize: 1, createdDate: 'x' });
    const outcome = await publish(event(), deps);
    expect(outcome).toMatchObject({ status: 'failed', reason: 'artifact-mismatch', detail: expect.stringMatching(/CodeSha256 TAMPERED= for version 1 .* recorded as refused and Expire deletes it/) });
    expect(calls.refused).toEqual([1]);
    expect(calls.recorded).toEqual([]);
  });

  it('refuses a stored zip whose sha256 is not the build\'s, before any PublishLayerVersion', async () => {
    const { deps, calls, tamper } = fakes();
    tamper(Buffer.from('zap'));
    const outcome = await publish(event(), deps);
    expect(outcome).toMatchObject({ status: 'failed', reason: 'artifact-mismatch', detail: expect.stringMatching(/has sha256 [0-9a-f]{64}, but the build recorded .* nothing was published/) });
    expect(calls.published).toEqual([]);
    expect(calls.recorded).toEqual([]);
    expect(calls.outcomes).toEqual(['r eu-west-1 failed undefined']);
  });

  it('reads and checks the zip once per run, however many regions it publishes to; another run reads it again', async () => {
    const { deps, calls, tamper } = fakes();
    expect((await publish(event(), deps)).status).toBe('published');
    const inOtherRegion = { ...event(), region: 'us-east-1' };
    deps.api.newestVersion = async () => undefined;
    expect((await publish(inOtherRegion, deps)).status).toBe('published');
    expect(calls.reads).toBe(1);
    expect(calls.published.map((request) => request.content)).toEqual([{ zipFile: ZIP }, { zipFile: ZIP }]);
    // The bucket's copy changes: the next run reads it, and refuses it.
    tamper(Buffer.from('zap'));
    const nextRun = { ...event(), runId: 'r2', region: 'ap-south-1' };
    expect(await publish(nextRun, deps)).toMatchObject({ status: 'failed', reason: 'artifact-mismatch' });
    expect(calls.reads).toBe(2);
    expect(calls.published).toHaveLength(2);
  });

  it('publishes of one run at once share one read of the zip; a refused read is shared too, and not kept', async () => {
    const { deps, calls, tamper } = fakes();
    deps.api.newestVersion = async () => undefined;
    const regions = ['eu-west-1', 'us-east-1', 'ap-south-1', 'sa-east-1'];
    const outcomes = await Promise.all(regions.map((region) => publish({ ...event(), region }, deps)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['published', 'published', 'published', 'published']);
    expect(calls.reads).toBe(1);
    tamper(Buffer.from('zap'));
    // Other regions: the first run's claims on these are held still (their content reached Lambda).
    const others = ['eu-central-1', 'us-west-2', 'ap-northeast-1', 'ca-central-1'];
    const refused = await Promise.all(others.map((region) => publish({ ...event(), runId: 'r2', region }, deps)));
    expect(refused.map((outcome) => outcome.reason)).toEqual(['artifact-mismatch', 'artifact-mismatch', 'artifact-mismatch', 'artifact-mismatch']);
    expect(calls.reads).toBe(2);
    // Nothing refused was kept: the next publish of that run reads the bucket again.
    expect(await publish({ ...event(), runId: 'r2', region: 'eu-north-1' }, deps)).toMatchObject({ status: 'failed', reason: 'artifact-mismatch' });
    expect(calls.reads).toBe(3);
  });

  it('keeps verified zips up to its byte bound, dropping the least recently used', () => {
    const zips = new VerifiedZips(10);
    zips.put('r', 'a', Buffer.alloc(4));
    zips.put('r', 'b', Buffer.alloc(4));
    expect(zips.get('r', 'a')).toBeDefined();
    zips.put('r', 'c', Buffer.alloc(4));
    expect([zips.get('r', 'a'), zips.get('r', 'b'), zips.get('r', 'c')].map(Boolean)).toEqual([true, false, true]);
    expect(zips.get('other-run', 'a')).toBeUndefined();
    zips.put('r', 'huge', Buffer.alloc(11));
    expect(zips.get('r', 'huge')).toBeUndefined();
    expect(zips.size).toBe(2);
  });

  it('reports a retry after PublishLayerVersion succeeded as published, not unchanged', async () => {
    const { deps, calls } = fakes();
    let crashed = false;
    const record = deps.store.recordPublished;
    deps.store.recordPublished = async (...args) => {
      if (!crashed) {
        crashed = true;
        throw new Error('lost the connection');
      }
      return record(...args);
    };
    await expect(publish(event(), deps)).rejects.toThrow('lost the connection');
    const retried = await publish(event(), deps);
    expect(retried).toMatchObject({ status: 'published', version: 1 });
    expect(calls.published).toHaveLength(1);
  });

  it('waits while another run holds the claim and publishes nothing once that run has', async () => {
    const { deps, calls, claims } = fakes();
    const other = await deps.store.claimPublish('lamina-bash', 'eu-west-1', DIGEST.sha256, 'other-run', 60_000);
    expect(other.won).toBe(true);
    let polls = 0;
    const outcome = await publish(event(), {
      ...deps,
      claim: { leaseMs: 60_000, waitMs: 60_000, pollMs: 1 },
      sleep: async () => {
        // The other run publishes while this one waits.
        if (++polls === 2) await deps.api.publish({ layerName: 'lamina-bash', description: 'd', runtimes: [], architectures: [], content: { zipFile: ZIP } });
      },
    });
    expect(outcome).toMatchObject({ status: 'unchanged', version: 1 });
    expect(calls.published).toHaveLength(1);
    expect([...claims.values()][0].owner).toBe('other-run');
  });

  it('skips the region, saying why, when another run still holds the claim after the wait', async () => {
    const { deps, calls } = fakes();
    await deps.store.claimPublish('lamina-bash', 'eu-west-1', DIGEST.sha256, 'other-run', 60_000);
    const outcome = await publish(event(), { ...deps, claim: { leaseMs: 60_000, waitMs: 0, pollMs: 1 }, sleep: async () => undefined });
    expect(outcome).toMatchObject({ status: 'skipped', reason: 'claimed' });
    expect(calls.published).toEqual([]);
  });

  it('trusts the look before a fresh claim, and looks again under a claim another run held before', async () => {
    const { deps, claims } = fakes();
    let looks = 0;
    const newest = deps.api.newestVersion;
    deps.api.newestVersion = async (name) => (looks++, newest(name));
    expect(await publish(event(), deps)).toMatchObject({ status: 'published', version: 1 });
    expect(looks).toBe(1);
    // Another content's claim does not count; this content's, released by another run, does: that run may have published.
    const other = fakes();
    other.claims.set(`lamina-bash eu-west-1 ${DIGEST.sha256}`, { ...[...claims.values()][0], owner: 'other-run', leaseUntil: 0 });
    let otherLooks = 0;
    const otherNewest = other.deps.api.newestVersion;
    other.deps.api.newestVersion = async (name) => (otherLooks++, otherNewest(name));
    expect(await publish(event(), other.deps)).toMatchObject({ status: 'published', version: 1 });
    expect(otherLooks).toBe(2);
  });

  it('releases a claim only when its content did not reach Lambda (the lease runs out by itself otherwise)', async () => {
    const published = fakes();
    await publish(event(), published.deps);
    expect([...published.claims.values()][0]).toMatchObject({ owner: 'r' });
    expect([...published.claims.values()][0].leaseUntil).toBeGreaterThan(Date.now());
    const refused = fakes();
    refused.tamper(Buffer.from('zap'));
    expect(await publish(event(), refused.deps)).toMatchObject({ status: 'failed', reason: 'artifact-mismatch' });
    expect([...refused.claims.values()][0]).toMatchObject({ owner: 'r', leaseUntil: 0 });
    const failing = fakes();
    failing.deps.api.publish = async () => Promise.reject(Object.assign(new Error('boom'), { name: 'ServiceException' }));
    await expect(publish(event(), failing.deps)).rejects.toThrow('boom');
    expect([...failing.claims.values()][0]).toMatchObject({ leaseUntil: 0 });
  });

  it('reports what it repaired: permissions and records', async () => {
    const { deps } = fakes({ version: 4, codeSha256: NEW });
    deps.api.applyVisibility = async () => ({ added: ['lamina-public'], removed: ['foreign'] });
    deps.store.recordPublished = async () => ({ record: true, deprecated: [{ version: 3, arn: 'a:3', deprecatedAt: 'then', expiresAt: 'later' }], latest: true });
    expect(await publish(event(), deps)).toMatchObject({
      status: 'repaired',
      repairs: ['permissions', 'record', 'deprecated'],
      detail: 'permissions: added lamina-public, removed foreign; recorded version 4 as Lambda holds it; deprecated version 3',
    });
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
