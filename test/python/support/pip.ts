import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Architecture } from '../../../functions/layers/kind';
import { pythonRuntime } from '../../../functions/layers/python/lambda-runtimes';
import { normalizeName } from '../../../functions/layers/python/pep508';
import { linuxPlatforms } from '../../../functions/layers/python/platform-tags';

/** Why pip cannot be used here, or null when `python3 -m pip` works. */
export function pipUnavailable(): string | null {
  try {
    execFileSync('python3', ['-m', 'pip', '--version'], { stdio: 'pipe', timeout: 30_000 });
    return null;
  } catch (error) {
    return `python3 -m pip is not available (${(error as Error).message.split('\n')[0]})`;
  }
}

/** pip found no acceptable set: its own refusal, as opposed to pip failing to run. */
export class PipRefused extends Error {
  override name = 'PipRefused';
}

/** What pip prints when it refuses a request, rather than breaking. */
const REFUSAL = /ResolutionImpossible|No matching distribution found|Could not find a version that satisfies|requires a different Python|conflicting dependencies/;

export interface Choice {
  key: string;
  version: string;
  wheel: string;
}

/**
 * What pip chooses for a Lambda target, with its own resolver, from the same index: a dry run with a report,
 * one `--platform` per platform tag the runtime accepts (pip does not expand manylinux_2_N tags by itself).
 */
export function pipChoose(indexUrl: string, runtime: string, architecture: Architecture, requirements: string[], prereleases = false): Promise<Choice[]> {
  const facts = pythonRuntime(runtime);
  const target = mkdtempSync(path.join(os.tmpdir(), 'lamina-pip-target-'));
  const args = ['-m', 'pip', 'install', '--dry-run', '--report', '-', '--quiet', '--only-binary=:all:'];
  for (const platform of linuxPlatforms(architecture, facts.glibc)) args.push('--platform', platform);
  args.push('--python-version', facts.pythonVersion, '--implementation', 'cp', '--target', target, '--isolated');
  args.push('--index-url', indexUrl, '--no-cache-dir', '--disable-pip-version-check');
  if (prereleases) args.push('--pre');
  args.push(...requirements);
  return new Promise((resolve, reject) => {
    execFile('python3', args, { maxBuffer: 64 * 1024 * 1024, timeout: 120_000, env: { ...process.env, PIP_NO_INPUT: '1' } }, (error, stdout, stderr) => {
      rmSync(target, { recursive: true, force: true });
      if (error) {
        const text = stderr || error.message;
        reject(REFUSAL.test(text) ? new PipRefused(`pip refused: ${text}`) : new Error(`pip did not run to a verdict: ${text}`));
        return;
      }
      const report = JSON.parse(stdout) as { install: Array<{ metadata: { name: string; version: string }; download_info: { url: string } }> };
      resolve(
        report.install
          .map((item) => ({
            key: normalizeName(item.metadata.name),
            version: item.metadata.version,
            wheel: decodeURIComponent(item.download_info.url.split('#')[0].split('/').pop()!),
          }))
          .sort((a, b) => (a.key < b.key ? -1 : 1)),
      );
    });
  });
}
