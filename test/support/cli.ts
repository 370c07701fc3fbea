import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

/** A catalog of one Bash runtime layer in one region: the smallest run of the CLI's commands. */
export const ONE_BASH_LAYER_CATALOG = `
settings:
  regions: [us-east-1]
layers:
  - name: bash
    kind: bash-runtime
`;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `lamina` binary (bin/lamina.cjs) as a person would, in `cwd`. */
export function lamina(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'lamina.cjs'), ...args], {
      cwd,
      env: { ...process.env, LAMINA_LOG_FORMAT: 'text', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The processes whose parent is `pid`, with their command lines (Linux /proc). */
export function childProcessesOf(pid: number): { pid: number; argv: string[] }[] {
  const children: { pid: number; argv: string[] }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name in field 2 may hold spaces and parentheses: the fields after its closing one are plain.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === pid) children.push({ pid: Number(entry), argv: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean) });
    } catch {
      // The process ended while the folder was read.
    }
  }
  return children;
}
