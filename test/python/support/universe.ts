import type { FixtureDist } from './fixture-index';

/**
 * The fixture universe the python tests resolve against: realistic names and wheel tags, with the shapes real
 * indexes have (compiled wheels per CPython version and glibc, abi3, legacy manylinux aliases, macOS and Windows
 * wheels, extras, markers, Requires-Python, yanked files, sdist-only releases, conflicts, missing metadata files).
 */

const CPS = ['cp39', 'cp310', 'cp311', 'cp312', 'cp313', 'cp314'];

function compiled(cps: string[], linux: (arch: string) => string[], extra: string[] = []): string[] {
  const tags: string[] = [];
  for (const cp of cps) {
    for (const arch of ['x86_64', 'aarch64']) for (const platform of linux(arch)) tags.push(`${cp}-${cp}-${platform}`);
    tags.push(`${cp}-${cp}-macosx_11_0_arm64`, `${cp}-${cp}-macosx_10_9_x86_64`, `${cp}-${cp}-win_amd64`, `${cp}-${cp}-musllinux_1_2_x86_64`);
  }
  return [...tags, ...extra];
}

const manylinux2014 = (arch: string) => [`manylinux_2_17_${arch}.manylinux2014_${arch}`];
const manylinux228 = (arch: string) => [`manylinux_2_28_${arch}`];

export const UNIVERSE: FixtureDist[] = [
  // requests and its dependencies, pure Python, as on PyPI.
  { name: 'certifi', version: '2024.8.30', wheels: ['py3-none-any'], license: 'MPL-2.0', requiresPython: '>=3.6' },
  { name: 'certifi', version: '2024.7.4', wheels: ['py3-none-any'], license: 'MPL-2.0', requiresPython: '>=3.6' },
  { name: 'idna', version: '3.7', wheels: ['py3-none-any'], license: 'BSD-3-Clause', requiresPython: '>=3.5' },
  { name: 'idna', version: '3.8', wheels: ['py3-none-any'], license: 'BSD-3-Clause', requiresPython: '>=3.6' },
  { name: 'idna', version: '3.9', wheels: ['py3-none-any'], license: 'BSD-3-Clause', requiresPython: '>=3.6', yanked: 'broken release' },
  { name: 'urllib3', version: '1.26.20', wheels: ['py2.py3-none-any'], license: 'MIT', requiresPython: '>=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*, !=3.5.*' },
  { name: 'urllib3', version: '2.2.3', wheels: ['py3-none-any'], license: 'MIT', requiresPython: '>=3.8', requires: ['brotli>=1.0.9; platform_python_implementation == "CPython" and extra == "brotli"', 'pysocks!=1.5.7,<2.0,>=1.5.6; extra == "socks"'] },
  {
    name: 'charset-normalizer',
    version: '3.3.2',
    wheels: compiled(['cp39', 'cp310', 'cp311', 'cp312'], manylinux2014, ['py3-none-any']),
    license: 'MIT',
    requiresPython: '>=3.7.0',
  },
  { name: 'pysocks', version: '1.7.1', wheels: ['py3-none-any'], license: 'BSD' },
  { name: 'chardet', version: '5.2.0', wheels: ['py3-none-any'], license: 'LGPL' },
  { name: 'brotli', version: '1.1.0', wheels: compiled(['cp39', 'cp310', 'cp311', 'cp312', 'cp313'], manylinux2014) },
  {
    name: 'requests',
    version: '2.31.0',
    wheels: ['py3-none-any'],
    license: 'Apache-2.0',
    requiresPython: '>=3.7',
    requires: ['charset-normalizer<4,>=2', 'idna<4,>=2.5', 'urllib3<3,>=1.21.1', 'certifi>=2017.4.17', 'PySocks!=1.5.7,>=1.5.6; extra == "socks"', 'chardet<6,>=3.0.2; extra == "use-chardet-on-py3"'],
  },
  {
    name: 'requests',
    version: '2.32.3',
    wheels: ['py3-none-any'],
    license: 'Apache-2.0',
    requiresPython: '>=3.8',
    requires: ['charset-normalizer<4,>=2', 'idna<4,>=2.5', 'urllib3<3,>=1.21.1', 'certifi>=2017.4.17', 'PySocks!=1.5.7,>=1.5.6; extra == "socks"', 'chardet<6,>=3.0.2; extra == "use-chardet-on-py3"'],
  },

  // numpy: compiled wheels per CPython, Requires-Python moving forward, glibc moving forward.
  { name: 'numpy', version: '1.26.4', wheels: compiled(['cp39', 'cp310', 'cp311', 'cp312'], manylinux2014), requiresPython: '>=3.9', license: 'BSD-3-Clause' },
  { name: 'numpy', version: '2.0.2', wheels: compiled(['cp39', 'cp310', 'cp311', 'cp312'], manylinux2014), requiresPython: '>=3.9', license: 'BSD-3-Clause' },
  { name: 'numpy', version: '2.1.3', wheels: compiled(['cp310', 'cp311', 'cp312', 'cp313'], manylinux2014), requiresPython: '>=3.10', license: 'BSD-3-Clause' },
  { name: 'numpy', version: '2.3.4', wheels: compiled(['cp311', 'cp312', 'cp313', 'cp314'], manylinux228), requiresPython: '>=3.11', license: 'BSD-3-Clause' },
  { name: 'numpy', version: '2.4.0rc1', wheels: compiled(['cp311', 'cp312', 'cp313', 'cp314'], manylinux228), requiresPython: '>=3.11', license: 'BSD-3-Clause' },

  // abi3 wheels (cryptography style) with a compiled dependency and a marker on the implementation.
  {
    name: 'cryptography',
    version: '43.0.1',
    wheels: [
      'cp39-abi3-manylinux_2_28_x86_64',
      'cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64',
      'cp39-abi3-manylinux_2_28_aarch64',
      'cp39-abi3-manylinux_2_17_aarch64.manylinux2014_aarch64',
      'cp39-abi3-musllinux_1_2_x86_64',
      'cp39-abi3-macosx_10_9_universal2',
      'cp39-abi3-win_amd64',
    ],
    requiresPython: '>=3.7',
    requires: ['cffi>=1.12; platform_python_implementation != "PyPy"', 'pytest>=6.2.0; extra == "test"'],
    license: 'Apache-2.0 OR BSD-3-Clause',
  },
  { name: 'cffi', version: '1.17.1', wheels: compiled(['cp39', 'cp310', 'cp311', 'cp312', 'cp313'], manylinux2014), requires: ['pycparser'], license: 'MIT' },
  { name: 'pycparser', version: '2.22', wheels: ['py3-none-any'], license: 'BSD-3-Clause' },
  { name: 'abi3pkg', version: '1.0', wheels: ['cp312-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64', 'cp312-abi3-manylinux_2_17_aarch64.manylinux2014_aarch64'] },
  { name: 'abi3pkg', version: '0.9', wheels: ['cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64', 'cp39-abi3-manylinux_2_17_aarch64.manylinux2014_aarch64'] },

  // Tag preference: the most specific wheel of a version wins, then the highest build tag.
  { name: 'tagpref', version: '1.0', wheels: ['py3-none-any', 'cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64', 'cp311-abi3-manylinux_2_17_x86_64', 'cp312-cp312-manylinux_2_28_aarch64'] },
  { name: 'buildtag', version: '1.0', build: '1', wheels: ['py3-none-any'] },
  { name: 'buildtag', version: '1.0', build: '2', wheels: ['py3-none-any'] },

  // Legacy manylinux aliases only.
  { name: 'legacy-one', version: '1.0', wheels: ['cp39-cp39-manylinux1_x86_64', 'cp311-cp311-manylinux1_x86_64'] },
  { name: 'legacy-2010', version: '1.0', wheels: ['cp311-cp311-manylinux2010_x86_64', 'cp312-cp312-manylinux2010_x86_64'] },
  { name: 'legacy-2014', version: '1.0', wheels: ['cp311-cp311-manylinux2014_aarch64', 'cp313-cp313-manylinux2014_aarch64', 'cp311-cp311-manylinux2014_x86_64'] },

  // glibc: 2.0 needs AL2023, 1.0 runs on AL2.
  { name: 'glibc-new', version: '1.0', wheels: ['py3-none-manylinux_2_17_x86_64', 'py3-none-manylinux_2_17_aarch64'] },
  { name: 'glibc-new', version: '2.0', wheels: ['py3-none-manylinux_2_34_x86_64', 'py3-none-manylinux_2_34_aarch64'] },
  // No conflict, only a missing wheel: wheelframe<3 needs wheelnum>=1, and wheelnum>=2.3 has AL2023 wheels only
  // (numpy 2.3 and pandas 2 on python3.11); glibc-future needs a glibc no Lambda runtime has.
  { name: 'wheelnum', version: '2.2', wheels: ['py3-none-manylinux_2_17_x86_64', 'py3-none-manylinux_2_17_aarch64'] },
  { name: 'wheelnum', version: '2.3', wheels: ['py3-none-manylinux_2_28_x86_64', 'py3-none-manylinux_2_28_aarch64'] },
  { name: 'wheelframe', version: '2.0', wheels: ['py3-none-any'], requires: ['wheelnum>=1.0'] },
  { name: 'wheelframe', version: '3.0', wheels: ['py3-none-any'], requires: ['wheelnum>=2.3'] },
  { name: 'glibc-future', version: '1.0', wheels: ['py3-none-manylinux_2_39_x86_64', 'py3-none-manylinux_2_39_aarch64'] },
  // musllinux and desktop-only newest releases must be passed over.
  { name: 'muslonly', version: '1.0', wheels: ['cp311-cp311-manylinux_2_17_x86_64', 'cp312-cp312-manylinux_2_17_x86_64'] },
  { name: 'muslonly', version: '2.0', wheels: ['cp311-cp311-musllinux_1_1_x86_64', 'cp312-cp312-musllinux_1_2_x86_64'] },
  { name: 'desktop', version: '2.0', wheels: ['py3-none-manylinux_2_17_x86_64', 'py3-none-manylinux_2_17_aarch64'] },
  { name: 'desktop', version: '3.0', wheels: ['py3-none-macosx_11_0_arm64', 'py3-none-win_amd64', 'py3-none-win32'] },
  { name: 'future-py', version: '1.0', wheels: ['cp314-cp314-manylinux_2_34_x86_64', 'cp314-cp314-manylinux_2_34_aarch64', 'cp313-cp313-manylinux_2_34_x86_64'] },

  // Requires-Python, on the index and only in the metadata.
  { name: 'modern-only', version: '1.0', wheels: ['py3-none-any'], requiresPython: '>=3.8' },
  { name: 'modern-only', version: '2.0', wheels: ['py3-none-any'], requiresPython: '>=3.12' },
  { name: 'typing-extensions', version: '4.12.2', wheels: ['py3-none-any'], requiresPython: '>=3.8', license: 'PSF-2.0' },
  { name: 'typing-extensions', version: '4.15.0', wheels: ['py3-none-any'], requiresPython: '>=3.9', license: 'PSF-2.0' },

  // Markers that hold for the target (and for pip's own interpreter, python 3.11 x86_64).
  {
    name: 'marked',
    version: '1.0',
    wheels: ['py3-none-any'],
    requires: [
      'tomli>=1.1.0; python_version < "3.11"',
      'colorama; sys_platform == "win32"',
      'typing-extensions>=4.0; python_version >= "3.8"',
      'uvloop; platform_system == "Linux" and implementation_name == "cpython"',
      'pywin32; os_name == "nt"',
    ],
  },
  { name: 'tomli', version: '2.0.1', wheels: ['py3-none-any'] },
  { name: 'colorama', version: '0.4.6', wheels: ['py2.py3-none-any'] },
  { name: 'pywin32', version: '306', wheels: ['cp311-cp311-win_amd64', 'cp312-cp312-win_amd64'] },
  { name: 'uvloop', version: '0.20.0', wheels: compiled(['cp39', 'cp310', 'cp311', 'cp312', 'cp313'], manylinux2014) },
  { name: 'machine-marked', version: '1.0', wheels: ['py3-none-any'], requires: ['fast-x86; platform_machine == "x86_64"', 'fast-arm; platform_machine == "aarch64"'] },
  { name: 'fast-x86', version: '1.0', wheels: ['py3-none-any'] },
  { name: 'fast-arm', version: '1.0', wheels: ['py3-none-any'] },

  // Extras requested from several places, and an extra that requires the package's own extra.
  { name: 'extrapkg', version: '1.0', wheels: ['py3-none-any'], requires: ['speedup>=1; extra == "fast"', 'extrapkg[fast]; extra == "all"', 'pretty; extra == "all"'] },
  { name: 'speedup', version: '1.0', wheels: ['py3-none-any'] },
  { name: 'speedup', version: '1.1', wheels: ['py3-none-any'] },
  { name: 'pretty', version: '0.5', wheels: ['py3-none-any'] },
  { name: 'parent-x', version: '1.0', wheels: ['py3-none-any'], requires: ['extrapkg[fast]>=1.0'] },

  // Pre-releases.
  { name: 'prerel', version: '1.5', wheels: ['py3-none-any'] },
  { name: 'prerel', version: '2.0b1', wheels: ['py3-none-any'] },
  { name: 'onlypre', version: '1.0a1', wheels: ['py3-none-any'] },

  // Yanked: never chosen unless pinned.
  { name: 'yankpin', version: '1.0', wheels: ['py3-none-any'] },
  { name: 'yankpin', version: '1.1', wheels: ['py3-none-any'], yanked: true },

  // Conflicts: alpha and beta cannot live together; gamma needs a step back.
  { name: 'shared', version: '1.0', wheels: ['py3-none-any'] },
  { name: 'shared', version: '2.0', wheels: ['py3-none-any'] },
  { name: 'alpha', version: '1.0', wheels: ['py3-none-any'], requires: ['shared<2'] },
  { name: 'beta', version: '1.0', wheels: ['py3-none-any'], requires: ['shared>=2'] },
  { name: 'gamma', version: '1.0', wheels: ['py3-none-any'], requires: ['shared'] },
  { name: 'gamma', version: '2.0', wheels: ['py3-none-any'], requires: ['shared<2'] },
  { name: 'delta', version: '1.0', wheels: ['py3-none-any'], requires: ['gamma', 'beta'] },

  // A dependency chain, a cycle, and dependencies read from wheels (no PEP 658 file).
  { name: 'deep-a', version: '1.0', wheels: ['py3-none-any'], requires: ['deep-b>=1'] },
  { name: 'deep-b', version: '1.0', wheels: ['py3-none-any'], requires: ['deep-c~=1.2'] },
  { name: 'deep-c', version: '1.2.0', wheels: ['py3-none-any'] },
  { name: 'deep-c', version: '1.3.1', wheels: ['py3-none-any'] },
  { name: 'deep-c', version: '2.0.0', wheels: ['py3-none-any'] },
  { name: 'cyc-a', version: '1.0', wheels: ['py3-none-any'], requires: ['cyc-b'] },
  { name: 'cyc-b', version: '1.0', wheels: ['py3-none-any'], requires: ['cyc-a'] },
  { name: 'nometa', version: '0.3', wheels: ['py3-none-any'], noMetadataFile: true, requires: ['deep-c<1.3'] },
  { name: 'nometa-too', version: '1.0', wheels: ['py3-none-any'], noMetadataFile: true },
  { name: 'Mixed_Case.Name', version: '1.0', wheels: ['py3-none-any'] },

  // Bad inputs.
  { name: 'sdistonly', version: '1.0', sdist: true },
  { name: 'evil', version: '1.0', wheels: ['py3-none-any'], entries: [{ name: '../../escaped.py', data: 'print("gotcha")\n' }] },
  { name: 'hasdata', version: '1.0', wheels: ['py3-none-any'], dataEntries: { 'purelib/hasdata_pure.py': 'X = 1\n', 'platlib/hasdata_plat.py': 'Y = 2\n', 'scripts/hasdata-tool': '#!python\nprint(1)\n' } },
  { name: 'testsy', version: '1.0', wheels: ['py3-none-any'], withTests: true },
  { name: 'bulky', version: '1.0', wheels: ['py3-none-any'], payloadBytes: 300_000 },
  // Two distributions that write the same file (it happens: namespace packages done wrong, forks).
  { name: 'overlap-a', version: '1.0', wheels: ['py3-none-any'], entries: [{ name: 'common_file.py', data: 'WHO = "a"\n' }] },
  { name: 'overlap-b', version: '1.0', wheels: ['py3-none-any'], entries: [{ name: 'common_file.py', data: 'WHO = "b"\n' }], payloadBytes: 2_000_000 },
];
