import { markerEnvironment } from '../../functions/layers/python/lambda-runtimes';
import { parseRequirement } from '../../functions/layers/python/pep508';
import { resolve, ResolutionImpossible, type Candidate, type ResolverProvider } from '../../functions/layers/python/resolver';

/** An in-memory universe: `name: { version: [requirements] }`; the resolver never sees HTTP. */
type Universe = Record<string, Record<string, string[] | { requires: string[]; yanked?: boolean; unusable?: string }>>;

function provider(universe: Universe, visits: string[] = []): ResolverProvider<Candidate> {
  const spec = (key: string, version: string) => {
    const value = universe[key][version];
    return Array.isArray(value) ? { requires: value } : value;
  };
  return {
    async candidates(key) {
      if (!universe[key]) throw new Error(`unknown package ${key}`);
      return Object.keys(universe[key]).map((version) => ({ version, yanked: Boolean(spec(key, version).yanked) }));
    },
    async dependencies(key, candidate) {
      visits.push(`${key}==${candidate.version}`);
      const s = spec(key, candidate.version);
      if (s.unusable) return { unusable: s.unusable };
      return { requires: s.requires.map((r) => parseRequirement(r)) };
    },
  };
}

const env = markerEnvironment('3.12', '3.12.11', 'arm64');
const solve = async (requirements: string[], universe: Universe, visits?: string[]) =>
  Object.fromEntries((await resolve(requirements.map((r) => parseRequirement(r)), provider(universe, visits), { environment: env })).map((r) => [r.key, r.candidate.version]));

describe('resolver', () => {
  test('newest versions that satisfy everything, markers evaluated for the target', async () => {
    const universe: Universe = {
      app: { '1.0': ['lib>=1', 'winonly; sys_platform == "win32"', 'armonly; platform_machine == "aarch64"'] },
      lib: { '1.0': [], '1.5': [], '2.0b1': [] },
      winonly: { '1.0': [] },
      armonly: { '3.0': [] },
    };
    expect(await solve(['app'], universe)).toEqual({ app: '1.0', lib: '1.5', armonly: '3.0' });
  });

  test('backtracks to an older version when the newest conflicts', async () => {
    const universe: Universe = {
      top: { '1.0': ['a', 'b'] },
      a: { '1.0': ['shared<2'], '2.0': ['shared<2'], '3.0': ['shared>=3'] },
      b: { '1.0': ['shared<2.5'] },
      shared: { '1.0': [], '2.0': [], '3.0': [] },
    };
    expect(await solve(['top'], universe)).toEqual({ top: '1.0', a: '2.0', b: '1.0', shared: '1.0' });
  });

  test('backjumps over decisions that cannot fix a conflict', async () => {
    // 40 versions of `noise` play no part in the conflict between `x` and `y`: they must not all be tried.
    const noise = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`1.${i}`, []]));
    const universe: Universe = {
      x: { '1.0': ['z>=2'], '2.0': ['z<1'] },
      noise,
      y: { '1.0': ['z>=2'] },
      z: { '0.5': [], '2.0': [] },
    };
    const visits: string[] = [];
    expect(await solve(['x', 'noise', 'y'], universe, visits)).toEqual({ x: '1.0', noise: '1.39', y: '1.0', z: '2.0' });
    expect(visits.filter((v) => v.startsWith('noise')).length).toBeLessThan(5);
  });

  test('extras requested after a project is pinned still bring their requirements', async () => {
    const universe: Universe = {
      root: { '1.0': ['lib', 'plugin'] },
      lib: { '1.0': ['fast>=2; extra == "speed"'] },
      plugin: { '1.0': ['lib[speed]'] },
      fast: { '1.0': [], '2.0': [] },
    };
    expect(await solve(['root'], universe)).toEqual({ root: '1.0', lib: '1.0', plugin: '1.0', fast: '2.0' });
  });

  test('yanked versions only when pinned; unusable candidates are skipped', async () => {
    const universe: Universe = {
      lib: { '1.0': [], '1.1': { requires: [], yanked: true }, '1.2': { requires: [], unusable: 'requires Python >=3.13' } },
    };
    expect(await solve(['lib'], universe)).toEqual({ lib: '1.0' });
    expect(await solve(['lib==1.1'], universe)).toEqual({ lib: '1.1' });
  });

  test('an unsolvable set names which requirement conflicts with which', async () => {
    const universe: Universe = {
      alpha: { '1.0': ['shared<2'] },
      beta: { '1.0': ['shared>=2'], '0.9': ['shared>=2.5'] },
      shared: { '1.0': [], '2.0': [], '3.0': [] },
    };
    const error = await resolve([parseRequirement('alpha'), parseRequirement('beta')], provider(universe), { environment: env }).catch((e) => e);
    expect(error).toBeInstanceOf(ResolutionImpossible);
    expect(error.message).toMatch(/shared/);
    expect(error.message).toMatch(/shared<2 \(required by alpha 1\.0\)/);
    expect(error.message).toMatch(/shared>=2 \(required by beta 1\.0\)/);
  });

  test('a root requirement nothing satisfies is reported as coming from the entry', async () => {
    const error = await resolve([parseRequirement('shared>=9')], provider({ shared: { '1.0': [] } }), { environment: env }).catch((e) => e);
    expect(error).toBeInstanceOf(ResolutionImpossible);
    expect(error.message).toMatch(/shared>=9 \(the entry\) cannot be installed/);
  });

  test('gives up with a clear message when the search is too large', async () => {
    const universe: Universe = {
      a: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`${i + 1}.0`, ['c<1']])),
      c: { '1.0': [] },
    };
    const error = await resolve([parseRequirement('a')], provider(universe), { environment: env, maxRounds: 10 }).catch((e) => e);
    expect(error).toBeInstanceOf(ResolutionImpossible);
    expect(error.message).toMatch(/gave up after trying 10 candidates/);
  });
});
