import {
  buildKey,
  createTableInput,
  expiryIndexKey,
  inputKey,
  latestKey,
  latestPrefix,
  layerKey,
  padVersion,
  regionsKey,
  runIndexKey,
  runKey,
  versionKey,
  versionPrefix,
} from '../../schema/table';

describe('single-table keys', () => {
  it('forms each entity key from its parts', () => {
    expect(layerKey('lamina-bash')).toEqual({ pk: 'LAYER#lamina-bash', sk: 'META' });
    expect(buildKey('lamina-bash', 'ab12')).toEqual({ pk: 'LAYER#lamina-bash', sk: 'BUILD#ab12' });
    expect(inputKey('lamina-bash', 'ff00')).toEqual({ pk: 'LAYER#lamina-bash', sk: 'INPUT#ff00' });
    expect(versionKey('lamina-bash', 'eu-west-1', 7)).toEqual({ pk: 'LAYER#lamina-bash', sk: 'REGION#eu-west-1#V#0000000007' });
    expect(latestKey('eu-west-1', 'lamina-bash')).toEqual({
      pk: 'REGION#eu-west-1',
      sk: 'LATEST#lamina-bash',
      gsi1pk: 'LATEST#lamina-bash',
      gsi1sk: 'REGION#eu-west-1',
    });
    expect(runKey('r1')).toEqual({ pk: 'RUN#r1', sk: 'SUMMARY' });
    expect(runIndexKey('2026-01-01T00:00:00.000Z', 'r1')).toEqual({ gsi1pk: 'RUNS', gsi1sk: '2026-01-01T00:00:00.000Z#r1' });
    expect(regionsKey()).toEqual({ pk: 'CATALOG', sk: 'REGIONS' });
  });

  it('pads versions so that string order is numeric order', () => {
    const keys = [2, 10, 1, 100].map((version) => versionKey('l', 'us-east-1', version).sk).sort();
    expect(keys.map((key) => Number(key.split('#V#')[1]))).toEqual([1, 2, 10, 100]);
    expect(() => padVersion(0)).toThrow(/invalid layer version/);
    expect(() => padVersion(1.5)).toThrow(/invalid layer version/);
  });

  it('puts every version of a layer in a region under one prefix, and no other region', () => {
    const { pk, skPrefix } = versionPrefix('lamina-bash', 'us-east-1');
    const key = versionKey('lamina-bash', 'us-east-1', 3);
    expect(key.pk).toBe(pk);
    expect(key.sk.startsWith(skPrefix)).toBe(true);
    expect(versionKey('lamina-bash', 'us-east-2', 3).sk.startsWith(skPrefix)).toBe(false);
    expect(latestKey('us-east-1', 'x').sk.startsWith(latestPrefix('us-east-1').skPrefix)).toBe(true);
  });

  it('orders the expiry index by date first', () => {
    const early = expiryIndexKey('2026-01-01T00:00:00.000Z', 'b', 'us-east-1', 9).gsi2sk;
    const late = expiryIndexKey('2026-02-01T00:00:00.000Z', 'a', 'us-east-1', 1).gsi2sk;
    expect([late, early].sort()).toEqual([early, late]);
  });

  it('refuses key parts that could change the key structure', () => {
    expect(() => layerKey('a#b')).toThrow(/invalid layer name/);
    expect(() => latestPrefix('eu-west-1#LATEST')).toThrow(/invalid region/);
    expect(() => versionKey('x', '', 1)).toThrow(/invalid region/);
  });

  it('describes the table with both sparse indexes', () => {
    const table = createTableInput('t');
    expect(table.KeySchema.map((key) => key.AttributeName)).toEqual(['pk', 'sk']);
    expect(table.GlobalSecondaryIndexes.map((index) => index.IndexName)).toEqual(['gsi1', 'gsi2']);
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
  });
});
