/** What the benchmarks share: a command timed as a whole process (wall, CPU, peak memory), and medians. */
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';

const TIME = '/usr/bin/time';

export interface Measure {
  ms: number;
  /** Peak resident memory and CPU (user + system), when /usr/bin/time is there. */
  peakMb?: number;
  cpuMs?: number;
  stdout: string;
  /** What the process logged (lamina: its phases). */
  stderr: string;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs a command as a whole process; fails with its stderr's end when it exits non-zero. */
export function measure(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Measure> {
  const timed = existsSync(TIME);
  const report = path.join(cwd, `.time-${process.hrtime.bigint()}`);
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(timed ? TIME : command, timed ? ['-f', '%M %U %S', '-o', report, command, ...args] : args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', async (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-3000)}`));
      let peakMb: number | undefined;
      let cpuMs: number | undefined;
      if (timed) {
        const [rss, user, system] = (await fs.readFile(report, 'utf8')).trim().split('\n').pop()!.split(' ').map(Number);
        peakMb = rss / 1024;
        cpuMs = (user + system) * 1000;
        await fs.rm(report, { force: true });
      }
      resolve({ ms, peakMb, cpuMs, stdout, stderr });
    });
  });
}
