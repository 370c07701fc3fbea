import { evaluateMarker, formatMarker, normalizeName, parseMarker, parseRequirement, requirementApplies, RequirementSyntaxError } from '../../functions/layers/python/pep508';
import { markerEnvironment } from '../../functions/layers/python/lambda-runtimes';

const py39arm = markerEnvironment('3.9', '3.9.23', 'arm64');
const py312x86 = markerEnvironment('3.12', '3.12.11', 'x86_64');

describe('PEP 508 requirements', () => {
  test('names, extras, specifiers and markers', () => {
    const r = parseRequirement('Requests_Toolbelt[Socks, security] >=0.9 , <2 ; python_version >= "3.8"');
    expect(r.name).toBe('Requests_Toolbelt');
    expect(r.key).toBe('requests-toolbelt');
    expect(r.extras).toEqual(['security', 'socks']);
    expect(r.specifier).toBe('>=0.9,<2');
    expect(r.marker && formatMarker(r.marker)).toBe('python_version >= "3.8"');
  });

  test('parenthesised specifiers and bare names', () => {
    expect(parseRequirement('numpy (>=1.2,!=1.3.*)').specifier).toBe('>=1.2,!=1.3.*');
    expect(parseRequirement('six').specifier).toBe('');
    expect(parseRequirement('zope.interface~=5.0').key).toBe('zope-interface');
  });

  test.each([
    ['', /empty/],
    ['requests>=', /not a valid PEP 440/],
    ['requests[socks', /extras/],
    ['requests @ https://example.com/r.whl', /direct URL/],
    ['requests; python_version >>> "3"', /marker/],
    ['requests; unknown_var == "x"', /unknown marker variable/],
    ['requests; python_version == "3.8" and', /marker variable|expected/],
    ['-requests', /package name/],
  ])('refuses %j', (text, reason) => {
    expect(() => parseRequirement(text)).toThrow(RequirementSyntaxError);
    expect(() => parseRequirement(text)).toThrow(reason);
  });

  test('normalizes names the PEP 503 way', () => {
    expect(normalizeName('Foo__Bar.-baz')).toBe('foo-bar-baz');
  });
});

describe('PEP 508 markers for the target, not this machine', () => {
  test.each([
    ['python_version < "3.10"', true, false],
    ['python_version >= "3.12"', false, true],
    ['python_full_version >= "3.9.2"', true, true],
    ['platform_machine == "aarch64"', true, false],
    ['platform_machine == "x86_64" or platform_machine == "AMD64"', false, true],
    ['sys_platform == "linux" and os_name == "posix"', true, true],
    ['platform_system == "Windows"', false, false],
    ['implementation_name == "cpython" and platform_python_implementation == "CPython"', true, true],
    ['platform_python_implementation != "PyPy"', true, true],
    ['"arm" in platform_machine', false, false],
    ['"aarch" in platform_machine', true, false],
    ['platform_machine not in "x86_64 AMD64"', true, false],
    ['(python_version < "3.10" or python_version > "3.11") and sys_platform != "win32"', true, true],
    ["python_version > '3.9'", false, true],
  ])('%s', (marker, onPy39Arm, onPy312X86) => {
    expect(evaluateMarker(parseMarker(marker), py39arm)).toBe(onPy39Arm);
    expect(evaluateMarker(parseMarker(marker), py312x86)).toBe(onPy312X86);
  });

  test('extra markers apply only when the extra is requested, compared normalized', () => {
    const r = parseRequirement('chardet<6; extra == "Use_Chardet.On-Py3"');
    expect(requirementApplies(r, py312x86)).toBe(false);
    expect(requirementApplies(r, py312x86, ['use-chardet-on-py3'])).toBe(true);
    expect(requirementApplies(r, py312x86, ['socks'])).toBe(false);
  });
});
