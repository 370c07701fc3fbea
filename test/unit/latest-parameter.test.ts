import { syncLatestParameter } from '../../functions/lookups/latest-parameter';

/** A parameter store that records what was asked of it, and a pointer that other Publishes move meanwhile. */
function lookup(initial?: string) {
  let value = initial;
  const calls: string[] = [];
  return {
    calls,
    value: () => value,
    parameters: {
      get: async () => (calls.push('get'), value),
      put: async (_name: string, arn: string) => void (calls.push(`put ${arn}`), (value = arn)),
    },
  };
}

describe('the SSM lookup follows the latest pointer', () => {
  it('writes only when the parameter differs, and reads it first unless it cannot hold the ARN yet', async () => {
    const same = lookup('arn:1');
    expect(await syncLatestParameter(same.parameters, 'p', async () => 'arn:1', { arn: 'arn:1' })).toBe(false);
    expect(same.calls).toEqual(['get']);
    const fresh = lookup('arn:1');
    expect(await syncLatestParameter(fresh.parameters, 'p', async () => 'arn:2', { arn: 'arn:2', unwritten: true })).toBe(true);
    expect(fresh.calls).toEqual(['put arn:2']);
    // Without a known ARN, the pointer says what to write.
    const unknown = lookup();
    await syncLatestParameter(unknown.parameters, 'p', async () => 'arn:4');
    expect(unknown.calls).toEqual(['get', 'put arn:4']);
  });

  it('never leaves an older ARN over a newer one: a pointer moved before the write is followed after it', async () => {
    // This Publish recorded version 5; a newer one moved the pointer to 6 and synced the lookup before this write.
    const race = lookup('arn:6');
    const reads = ['arn:6'];
    await syncLatestParameter(race.parameters, 'p', async () => reads.shift() ?? 'arn:6', { arn: 'arn:5', unwritten: true });
    expect(race.calls).toEqual(['put arn:5', 'put arn:6']);
    expect(race.value()).toBe('arn:6');
  });
});
