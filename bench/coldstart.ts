/**
 * bench:coldstart: what lamina's bytecode saves on a cold start. A large generated Python layer (thousands of
 * modules in dozens of packages) is imported from a read-only folder by a fresh interpreter, once as sources only
 * (what a layer without bytecode gives: Python compiles every module on every cold start, since /opt is read-only)
 * and once with the bytecode lamina's Verify step adds (verify_layer.py, unchecked-hash pycs). Each run is a whole
 * new process; the two layers alternate; medians of several runs and their ratio. Target: at least 2× faster.
 *
 *   npm run bench:coldstart [-- --packages 40 --modules 50 --runs 5 --python python3.11]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { VERIFY_SCRIPT } from '../functions/layers/python/verify';
import { median } from './whole-process';

const { values } = parseArgs({
  options: {
    packages: { type: 'string', default: '40' },
    modules: { type: 'string', default: '50' },
    runs: { type: 'string', default: '5' },
    python: { type: 'string', default: 'python3.11' },
  },
});
const PACKAGES = Number(values.packages);
const MODULES = Number(values.modules);
const RUNS = Number(values.runs);
const PYTHON = values.python!;

/** A module of about 150 lines: classes, functions, comprehensions, literals, as real library code has. */
function moduleSource(p: number, m: number): string {
  const lines = [`"""Generated module ${m} of package ${p}."""`, 'import functools', 'import re', ''];
  for (let c = 0; c < 6; c++) {
    lines.push(
      `class Thing${c}:`,
      `    """A class with a few methods."""`,
      `    PATTERN = re.compile(r"^item-(\\d+)-${c}$")`,
      `    def __init__(self, value=${c}, *, name="thing${c}"):`,
      '        self.value = value',
      '        self.name = name',
      '        self.items = [i * value for i in range(10) if i % 2 == 0]',
      '    def describe(self):',
      '        return f"{self.name}: {self.value} ({len(self.items)} items)"',
      '    @functools.lru_cache(maxsize=None)',
      '    def compute(self, x, y=2):',
      '        total = 0',
      '        for i in range(x):',
      '            if i % y == 0:',
      '                total += i * self.value',
      '            elif i % 3 == 0:',
      '                total -= i',
      '            else:',
      '                total ^= i',
      '        return {"total": total, "name": self.name, "ok": total > 0}',
      '',
    );
  }
  for (let f = 0; f < 8; f++) {
    lines.push(
      `def helper_${f}(data, *args, **kwargs):`,
      `    mapping = {k: v for k, v in zip(("a", "b", "c", "d"), (${f}, ${f + 1}, ${f + 2}, ${f + 3}))}`,
      '    try:',
      '        result = sum(x for x in data if isinstance(x, int)) + mapping.get(kwargs.get("key", "a"), 0)',
      '    except TypeError as error:',
      '        raise ValueError(str(error)) from error',
      '    return [result, *args]',
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}

async function generateLayer(root: string): Promise<string[]> {
  const site = path.join(root, 'python');
  const packages: string[] = [];
  for (let p = 0; p < PACKAGES; p++) {
    const name = `benchpkg${p}`;
    packages.push(name);
    const dir = path.join(site, name);
    await fs.mkdir(dir, { recursive: true });
    const imports: string[] = [];
    for (let m = 0; m < MODULES; m++) {
      await fs.writeFile(path.join(dir, `mod${m}.py`), moduleSource(p, m));
      imports.push(`from . import mod${m}`);
    }
    await fs.writeFile(path.join(dir, '__init__.py'), `${imports.join('\n')}\n`);
  }
  return packages;
}

async function makeReadOnly(dir: string): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await makeReadOnly(full);
    await fs.chmod(full, entry.isDirectory() ? 0o555 : 0o444);
  }
  await fs.chmod(dir, 0o555);
}


/** One cold start: a new interpreter imports every package; returns [whole process ms, import ms inside Python]. */
function coldStart(layer: string, packages: string[]): [number, number] {
  const code = [
    'import sys, time',
    `sys.path.insert(0, ${JSON.stringify(path.join(layer, 'python'))})`,
    't = time.perf_counter()',
    ...packages.map((p) => `import ${p}`),
    'print((time.perf_counter() - t) * 1000)',
  ].join('\n');
  const started = process.hrtime.bigint();
  // -B and PYTHONDONTWRITEBYTECODE: like /opt on Lambda, nothing can be cached between runs.
  const result = spawnSync(PYTHON, ['-I', '-B', '-c', code], { encoding: 'utf8', env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1' } });
  const whole = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${PYTHON} failed: ${result.stderr}`);
  return [whole, Number(result.stdout.trim())];
}

async function main(): Promise<void> {
  const version = execFileSync(PYTHON, ['-c', 'import platform; print(platform.python_version())'], { encoding: 'utf8' }).trim();
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'lamina-bench-coldstart-'));
  try {
    const plain = path.join(scratch, 'plain');
    const compiled = path.join(scratch, 'compiled');
    const packages = await generateLayer(plain);
    await fs.cp(plain, compiled, { recursive: true });
    const compile = JSON.parse(execFileSync(PYTHON, [VERIFY_SCRIPT, compiled, '--compile-only', '--in-place'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })) as {
      report: { compiled: string[] };
    };
    await makeReadOnly(plain);
    await makeReadOnly(compiled);
    const modules = PACKAGES * (MODULES + 1);
    const times = { plain: [] as number[], compiled: [] as number[], plainImport: [] as number[], compiledImport: [] as number[] };
    coldStart(plain, packages); // warm the OS file cache for both, so that disk reads do not decide
    coldStart(compiled, packages);
    for (let run = 0; run < RUNS; run++) {
      const order: Array<'plain' | 'compiled'> = run % 2 ? ['compiled', 'plain'] : ['plain', 'compiled'];
      for (const which of order) {
        const [whole, imports] = coldStart(which === 'plain' ? plain : compiled, packages);
        times[which].push(whole);
        times[`${which}Import`].push(imports);
      }
    }
    const figures = {
      python: version,
      modules,
      pycFiles: compile.report.compiled.length,
      runs: RUNS,
      sourcesOnlyMs: +median(times.plain).toFixed(1),
      withBytecodeMs: +median(times.compiled).toFixed(1),
      sourcesOnlyImportMs: +median(times.plainImport).toFixed(1),
      withBytecodeImportMs: +median(times.compiledImport).toFixed(1),
    };
    const ratio = +(figures.sourcesOnlyMs / figures.withBytecodeMs).toFixed(2);
    const importRatio = +(figures.sourcesOnlyImportMs / figures.withBytecodeImportMs).toFixed(2);
    const rows = [
      ['layer', 'cold start (process), median ms', 'imports alone, median ms'],
      ['sources only (no bytecode)', String(figures.sourcesOnlyMs), String(figures.sourcesOnlyImportMs)],
      ["lamina's bytecode (unchecked-hash)", String(figures.withBytecodeMs), String(figures.withBytecodeImportMs)],
      ['ratio (sources / bytecode)', `${ratio}×`, `${importRatio}×`],
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
    console.log(`Python ${version}: ${modules} modules in ${PACKAGES} packages, read-only, fresh interpreter per run, ${RUNS} runs each`);
    for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
    console.log(JSON.stringify({ bench: 'coldstart', ...figures, ratio, importRatio, target: 2, met: ratio >= 2 }));
  } finally {
    await fs.rm(scratch, { recursive: true, force: true }).catch(async () => {
      execFileSync('chmod', ['-R', 'u+w', scratch]);
      await fs.rm(scratch, { recursive: true, force: true });
    });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
