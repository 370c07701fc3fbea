import type { Architecture } from '../../functions/layers/kind';
import { pythonKind, type PythonInputs } from '../../functions/layers/python/kind';
import { entry, onlyTarget, useFixtureIndex } from './support/harness';
import { PipRefused, pipChoose, pipUnavailable, type Choice } from './support/pip';

/**
 * lamina's choices (distributions, versions and the exact wheel file) must equal pip's for the same target and
 * index. pip evaluates markers with its own interpreter (python 3.11 on x86_64 here, pypa/pip#11664), so the
 * scenarios with target-dependent markers use targets where that evaluation agrees.
 */

type Scenario = { runtime: string; arch: Architecture; requirements: string[]; pre?: boolean };
const s = (runtime: string, arch: Architecture, requirements: string[], pre = false): Scenario => ({ runtime, arch, requirements, pre });

const SCENARIOS: Scenario[] = [
  s('python3.11', 'x86_64', ['requests']),
  s('python3.12', 'arm64', ['requests']),
  s('python3.9', 'x86_64', ['requests[socks]']),
  s('python3.13', 'arm64', ['requests[socks,use-chardet-on-py3]']),
  s('python3.10', 'x86_64', ['requests==2.31.0', 'urllib3<2']),
  s('python3.9', 'x86_64', ['numpy']),
  s('python3.10', 'arm64', ['numpy']),
  s('python3.11', 'x86_64', ['numpy']),
  s('python3.12', 'x86_64', ['numpy']),
  s('python3.14', 'arm64', ['numpy']),
  s('python3.12', 'arm64', ['numpy<2']),
  s('python3.13', 'x86_64', ['numpy==2.1.*']),
  s('python3.12', 'x86_64', ['numpy'], true),
  s('python3.11', 'arm64', ['cryptography']),
  s('python3.12', 'x86_64', ['cryptography']),
  s('python3.14', 'arm64', ['cryptography']),
  s('python3.11', 'x86_64', ['abi3pkg']),
  s('python3.12', 'arm64', ['abi3pkg']),
  s('python3.11', 'x86_64', ['tagpref']),
  s('python3.12', 'arm64', ['tagpref']),
  s('python3.13', 'x86_64', ['tagpref']),
  s('python3.10', 'x86_64', ['buildtag']),
  s('python3.9', 'x86_64', ['legacy-one']),
  s('python3.11', 'x86_64', ['legacy-2010']),
  s('python3.11', 'arm64', ['legacy-2014']),
  s('python3.13', 'arm64', ['legacy-2014']),
  s('python3.11', 'x86_64', ['glibc-new']),
  s('python3.12', 'arm64', ['glibc-new']),
  s('python3.12', 'x86_64', ['muslonly']),
  s('python3.11', 'arm64', ['desktop']),
  s('python3.14', 'x86_64', ['future-py']),
  s('python3.11', 'x86_64', ['modern-only']),
  // Not python3.12: pip checks metadata Requires-Python against its own interpreter (3.11), see kind.test.ts.
  s('python3.10', 'x86_64', ['modern-only']),
  s('python3.9', 'arm64', ['typing-extensions']),
  s('python3.11', 'x86_64', ['marked']),
  s('python3.12', 'x86_64', ['marked']),
  s('python3.11', 'x86_64', ['machine-marked']),
  s('python3.12', 'x86_64', ['extrapkg[all]']),
  s('python3.11', 'x86_64', ['parent-x', 'extrapkg[all]']),
  s('python3.12', 'x86_64', ['typing-extensions', 'urllib3[brotli]']),
  s('python3.11', 'x86_64', ['prerel']),
  s('python3.11', 'x86_64', ['prerel>=2.0b1']),
  s('python3.11', 'x86_64', ['onlypre']),
  s('python3.11', 'x86_64', ['idna']),
  s('python3.11', 'x86_64', ['yankpin']),
  s('python3.11', 'x86_64', ['yankpin==1.1']),
  s('python3.11', 'x86_64', ['gamma', 'beta']),
  s('python3.11', 'x86_64', ['delta']),
  s('python3.11', 'x86_64', ['deep-a']),
  s('python3.11', 'x86_64', ['cyc-a']),
  s('python3.11', 'x86_64', ['nometa', 'deep-a']),
  s('python3.11', 'x86_64', ['Mixed_Case.Name']),
  s('python3.11', 'x86_64', ['deep-c!=1.3.1,<2']),
  // Both must refuse these.
  s('python3.11', 'x86_64', ['alpha', 'beta']),
  s('python3.11', 'x86_64', ['sdistonly']),
  s('python3.11', 'x86_64', ['numpy==9.9']),
];

const unavailable = pipUnavailable();
if (unavailable) {
  // eslint-disable-next-line no-console
  console.warn(`skipping the pip differential tests: ${unavailable}`);
}
const maybe = unavailable ? describe.skip : describe;

maybe('lamina chooses what pip chooses', () => {
  const harness = useFixtureIndex();
  const pip = new Map<Scenario, Choice[] | Error>();

  beforeAll(async () => {
    const queue = [...SCENARIOS];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const scenario = next;
        const ask = () => pipChoose(harness.server.url, scenario.runtime, scenario.arch, scenario.requirements, scenario.pre);
        // A pip that breaks (a timeout on a loaded machine) is asked again; a refusal is an answer.
        const answer = await ask().catch((error: Error) => (error instanceof PipRefused ? error : ask().catch((again: Error) => again)));
        pip.set(scenario, answer);
      }
    };
    await Promise.all([worker(), worker()]);
  }, 600_000);

  test('there are at least 30 scenarios where pip installs something', () => {
    expect([...pip.values()].filter((v) => Array.isArray(v)).length).toBeGreaterThanOrEqual(30);
    // Every other scenario is a refusal by pip, never pip failing to run.
    for (const answer of pip.values()) if (!Array.isArray(answer)) expect(answer).toBeInstanceOf(PipRefused);
  });

  test.each(SCENARIOS.map((scenario) => [`${scenario.runtime} ${scenario.arch} ${scenario.requirements.join(' ')}${scenario.pre ? ' --pre' : ''}`, scenario]))(
    '%s',
    async (_name, scenario) => {
      const target = onlyTarget(
        pythonKind.expand(entry({ requirements: scenario.requirements, runtimes: [scenario.runtime] as never, architectures: [scenario.arch], prereleases: scenario.pre, index: harness.server.url }), { prefix: 'diff' }),
      );
      const expected = pip.get(scenario)!;
      const attempt = pythonKind.resolve(target, harness.context('diff'));
      if (expected instanceof Error && !(expected instanceof PipRefused)) throw expected;
      if (expected instanceof PipRefused) {
        await expect(attempt).rejects.toThrow(/python layer diff-py\d+-(x86_64|arm64)-fixture/);
        return;
      }
      const inputs = (await attempt).inputs as PythonInputs;
      const chosen = inputs.distributions.map((d) => ({ key: d.key, version: d.version, wheel: d.wheel })).sort((a, b) => (a.key < b.key ? -1 : 1));
      expect(chosen).toEqual(expected);
    },
  );
});
