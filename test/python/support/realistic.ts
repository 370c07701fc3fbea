import type { ZipInput } from '../../support/zip-writer';
import type { FixtureDist } from './fixture-index';
import { mixedPayload } from './fixture-index';

/**
 * Fixture sets shaped like real wheels (pandas, numpy and their dependencies): thousands of small Python sources
 * and a few native `.so` files of realistic sizes, compressing about as well as the real ones do (a 100 MB
 * unzipped set is about 30-40 MB of wheels). For the streamed-layout tests (scaled down) and bench:python.
 */

// Each chunk is a whole top-level statement, so every generated module is valid Python (real wheels' sources
// compile: bytecode compilation costs what it costs on real sources, not what a syntax error costs).
const SOURCE = [
  'class Frame{n}(object):\n    """A labelled two-dimensional structure number {n}."""\n\n    def __init__(self, data: Any = None, index: Optional[list] = None) -> None:\n        self._data = data\n        self._index = list(index or [])\n\n    def apply{n}(self, func, axis: int = 0):\n        result = []\n        for row in self._data or []:\n            result.append(func(row) if axis == 0 else [func(v) for v in row])\n        return Frame{n}(result, self._index)\n\n',
  'def _validate_{n}(value, name="value"):\n    \"\"\"Checks that a value is given.\n\n    Parameters\n    ----------\n    value : object\n        What to check.\n    name : str\n        How the error names it.\n    \"\"\"\n    if value is None:\n        raise ValueError(f"{name} must not be None")\n    return value\n\n',
  '# Licensed under the BSD 3-Clause License; see LICENSE for the full text.\n# The helpers below keep the frame\'s index aligned when rows are added,\n# removed or reordered; they are private and may change at any time.\n\n',
  'TABLE_{n} = {"name": "t{n}", "sizes": [{n}, {n} + 1, {n} * 2], "nested": {"a": ({n}, "x"), "b": None}}\n\n',
  'def _reduce_{n}(items, start=0):\n    total = start\n    for i, item in enumerate(items):\n        if i % 2:\n            total += item * {n}\n        else:\n            total -= item\n    return {k: v for k, v in zip(range(total), items)}\n\n',
];

/** A valid Python source of exactly `bytes` bytes (at least the header's), different per `n`. */
function source(bytes: number, n: number): string {
  let text = `import os\nimport sys\nfrom typing import Any, Optional\n# generated module ${n}\n`;
  for (let i = 0; ; i++) {
    const chunk = SOURCE[(i + n) % SOURCE.length].replace(/\{n\}/g, String(n * 31 + i));
    if (text.length + chunk.length > bytes) break;
    text += chunk;
  }
  // Padded to the size with a comment line.
  const rest = bytes - text.length;
  return rest <= 0 ? text : rest === 1 ? `${text}\n` : `${text}#${'-'.repeat(rest - 2)}\n`;
}

export interface RealisticPackage {
  name: string;
  /** Python sources (and a few data files) in the package. */
  files: number;
  /** Bytes of one source, on average. */
  fileBytes: number;
  /** Sizes of its native extensions. */
  sharedObjects: number[];
  requires?: string[];
}

function entriesOf(pkg: RealisticPackage): () => Iterable<ZipInput> {
  const module = pkg.name.replace(/-/g, '_');
  return function* () {
    for (let i = 0; i < pkg.files; i++) {
      const folder = i % 7 === 0 ? 'core' : i % 7 === 1 ? 'io' : i % 7 === 2 ? 'tests' : i % 7 === 3 ? `_libs/window` : `sub${i % 13}`;
      // Sizes vary like real sources do: many small, some large.
      const size = Math.max(64, Math.round(pkg.fileBytes * (0.25 + ((i * 7919) % 100) / 57)));
      yield { name: `${module}/${folder}/mod_${i}.py`, data: source(size, i) };
      if (i % 50 === 0) yield { name: `${module}/${folder}/__pycache__/mod_${i}.cpython-311.pyc`, data: mixedPayload(Math.round(size / 2), i) };
    }
    for (const [i, bytes] of pkg.sharedObjects.entries()) {
      yield { name: `${module}/_libs/ext_${i}.cpython-311-x86_64-linux-gnu.so`, data: mixedPayload(bytes, 1000 + i), mode: 0o100755 };
    }
  };
}

function dist(pkg: RealisticPackage): FixtureDist {
  return { name: pkg.name, version: '1.0', wheels: ['cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64'], requires: pkg.requires, license: 'BSD-3-Clause', entries: entriesOf(pkg) };
}

const MB = 1_000_000;

/**
 * A set of about `unzippedMb` MB unzipped under one top-level requirement `<prefix>-frame`: a pandas-like package
 * (about 60% of the bytes, most of the files), a numpy-like one (a few big `.so` files), and small dependencies.
 */
export function realisticSet(prefix: string, unzippedMb: number, files = Math.round(unzippedMb * 20)): FixtureDist[] {
  const total = unzippedMb * MB;
  const small = ['dateutil', 'tz', 'six'].map((name, i): RealisticPackage => ({ name: `${prefix}-${name}`, files: 20 + 10 * i, fileBytes: 3000, sharedObjects: [] }));
  const smallBytes = small.reduce((sum, p) => sum + p.files * p.fileBytes, 0);
  const frameFiles = Math.round(files * 0.75);
  const numFiles = Math.max(10, files - frameFiles);
  const sourceBytes = Math.min(total * 0.3, (frameFiles + numFiles) * 8000);
  const fileBytes = Math.max(200, Math.round(sourceBytes / (frameFiles + numFiles)));
  const native = Math.max(0, total - sourceBytes - smallBytes);
  const num: RealisticPackage = { name: `${prefix}-num`, files: numFiles, fileBytes, sharedObjects: [0.5, 0.2, 0.1].map((f) => Math.round(native * 0.45 * f)).concat([Math.round(native * 0.45 * 0.2)]) };
  const frame: RealisticPackage = {
    name: `${prefix}-frame`,
    files: frameFiles,
    fileBytes,
    sharedObjects: [0.3, 0.2, 0.15, 0.1, 0.1, 0.05, 0.05, 0.05].map((f) => Math.round(native * 0.55 * f)),
    requires: [num.name, ...small.map((p) => p.name)],
  };
  return [frame, num, ...small].map(dist);
}
