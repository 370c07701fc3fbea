import { evidenceOf, failureKindOf, healthyRegion, nextHealth, publishFailureReason } from '../../functions/regions/health';

const context = (runId: string) => ({ runId, now: new Date('2026-01-01T00:00:00Z'), unhealthyAfterRuns: 2 });

describe('region health', () => {
  it('tells service failures from permission refusals by their AWS error name', () => {
    expect(['ServiceException', 'TooManyRequestsException', 'States.Timeout', 'ECONNREFUSED', 'RegionUnhealthyError'].map(failureKindOf)).toEqual(
      Array(5).fill('service'),
    );
    expect(['AccessDeniedException', 'UnrecognizedClientException', 'InvalidClientTokenId'].map(failureKindOf)).toEqual(Array(3).fill('permission'));
    expect(['InvalidParameterValueException', 'StagingBucketError', 'BuildError', undefined].map(failureKindOf)).toEqual(Array(4).fill('other'));
    expect(publishFailureReason('ServiceException')).toBe('region-service-error');
    expect(publishFailureReason('AccessDeniedException')).toBe('region-permission-denied');
    expect(publishFailureReason('StagingBucketError')).toBe('publish');
  });

  it('reads a region’s evidence from its outcomes: a publish outweighs failures; unchanged says nothing', () => {
    const failed = { layerName: 'a', region: 'r', status: 'failed' as const, reason: 'region-service-error' as const, detail: 'boom' };
    expect(evidenceOf([failed])).toEqual({ kind: 'service', detail: 'boom' });
    expect(evidenceOf([failed, { layerName: 'b', region: 'r', status: 'published' }])).toEqual({ kind: 'answered' });
    expect(evidenceOf([{ layerName: 'b', region: 'r', status: 'unchanged' }])).toEqual({ kind: 'none' });
    expect(evidenceOf([failed, { ...failed, reason: 'region-permission-denied', detail: 'no' }])).toEqual({ kind: 'permission', detail: 'no' });
    expect(evidenceOf([{ ...failed, reason: 'publish' }])).toEqual({ kind: 'none' });
  });

  it('marks a region unhealthy after N failed runs in a row, denied at once, and healthy when it answers', () => {
    const once = nextHealth(healthyRegion('r'), { kind: 'service', detail: 'x' }, context('1'));
    expect(once).toMatchObject({ status: 'healthy', failedRuns: 1 });
    const twice = nextHealth(once, { kind: 'service', detail: 'y' }, context('2'));
    expect(twice).toMatchObject({ status: 'unhealthy', failedRuns: 2, lastError: 'y', since: '2026-01-01T00:00:00.000Z' });
    expect(nextHealth(twice, { kind: 'none' }, context('3'))).toBe(twice);
    expect(nextHealth(twice, { kind: 'answered' }, context('4'))).toMatchObject({ status: 'healthy', failedRuns: 0 });
    expect(nextHealth(healthyRegion('r'), { kind: 'permission', detail: 'denied' }, context('5'))).toMatchObject({ status: 'denied', lastError: 'denied' });
  });
});
