import { clauseMentionsPrerelease, filterVersions, isPinningClause, specifierClauses } from '../../functions/layers/python/pep440';

const filter = (versions: string[], spec: string, pre = false) => filterVersions(versions, (v) => v, specifierClauses(spec), pre);

describe('PEP 440 filtering with pip pre-release rules', () => {
  const versions = ['1.0', '1.5', '2.0b1', '2.0', '2.1rc1'];
  test('finals only by default', () => {
    expect(filter(versions, '')).toEqual(['1.0', '1.5', '2.0']);
    expect(filter(versions, '>=1.5')).toEqual(['1.5', '2.0']);
  });
  test('a clause naming a pre-release opts in', () => {
    expect(filter(versions, '>=2.0b1')).toEqual(['2.0b1', '2.0', '2.1rc1']);
    expect(clauseMentionsPrerelease('<2.0b1')).toBe(false);
  });
  test('pre-releases when nothing else matches, or when asked', () => {
    expect(filter(['1.0a1', '1.0b2'], '')).toEqual(['1.0a1', '1.0b2']);
    expect(filter(versions, '>2.0')).toEqual(['2.1rc1']);
    expect(filter(versions, '', true)).toEqual(versions);
  });
  test('compatible release, wildcard and exclusion', () => {
    expect(filter(['1.2.0', '1.2.9', '1.3.0', '2.0'], '~=1.2.0')).toEqual(['1.2.0', '1.2.9']);
    expect(filter(['1.2.0', '1.2.9', '1.3.0', '2.0'], '==1.2.*')).toEqual(['1.2.0', '1.2.9']);
    expect(filter(['1.2.0', '1.2.9', '1.3.0', '2.0'], '!=1.3.*,<3')).toEqual(['1.2.0', '1.2.9', '2.0']);
  });
  test('pinning clauses', () => {
    expect(isPinningClause('==1.0')).toBe(true);
    expect(isPinningClause('===1.0')).toBe(true);
    expect(isPinningClause('==1.*')).toBe(false);
    expect(isPinningClause('>=1.0')).toBe(false);
  });
});
