import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { missingNodeFlags } from '../../local/cli';
import { SERVE_NODE_FLAGS } from '../../local/commands';
import { childProcessesOf, ONE_BASH_LAYER_CATALOG, ROOT } from '../support/cli';


describe('the node flags a command starts with', () => {
  it('names the flags serve lacks, keeps the ones the user set (either spelling, or in NODE_OPTIONS), and none for --help or other commands', () => {
    expect(SERVE_NODE_FLAGS).toEqual(['--max-semi-space-size=64']);
    expect(missingNodeFlags(['serve', '--port', '0'], [], '')).toEqual(['--max-semi-space-size=64']);
    expect(missingNodeFlags(['serve'], ['--import', 'tsx', '--max-semi-space-size=64'], '')).toEqual([]);
    expect(missingNodeFlags(['serve'], ['--max_semi_space_size=128'], '')).toEqual([]);
    expect(missingNodeFlags(['serve'], [], '--max-old-space-size=4096 --max-semi-space-size=32')).toEqual([]);
    expect(missingNodeFlags(['serve', '--help'], [], '')).toEqual([]);
    expect(missingNodeFlags(['list', '--port', '0'], [], '')).toEqual([]);
    expect(missingNodeFlags([], [], '')).toEqual([]);
  });
});

describe('lamina serve runs with its node flags', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lamina-serve-flags-'));
    await writeFile(path.join(dir, 'catalog.yaml'), ONE_BASH_LAYER_CATALOG);
    await mkdir(path.join(dir, 'state'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** `lamina serve` as a person starts it; resolves with its listing URL once it serves. */
  function serve(env: NodeJS.ProcessEnv = {}, detached = false): Promise<{ child: ChildProcessWithoutNullStreams; url: string }> {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'lamina.cjs'), 'serve', '--port', '0', '--state', path.join(dir, 'state')], {
      cwd: dir,
      env: { ...process.env, LAMINA_LOG_FORMAT: 'silent', ...env },
      // A process group of its own, as a shell gives a command: a Ctrl-C signals the whole group.
      detached,
    });
    let stderr = '';
    return new Promise((resolve, reject) => {
      child.on('exit', (code) => reject(new Error(`lamina serve exited ${code}: ${stderr}`)));
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        const url = /Listing API and page at (http:\/\/\S+)\//.exec(stderr)?.[1];
        if (url) resolve({ child, url });
      });
    });
  }

  /** Whether `pid` runs: an orphan that ended may stay a zombie where PID 1 reaps nothing. */
  const running = (pid: number) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return false;
    }
  };

  const exitOf = (child: ChildProcessWithoutNullStreams) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  it('starts node anew with --max-semi-space-size=64, serves from it, and a SIGTERM to the launcher stops both with exit code 0', async () => {
    const { child, url } = await serve({ NODE_OPTIONS: '' });
    const served = childProcessesOf(child.pid!).filter((process) => process.argv.some((arg) => arg.endsWith('lamina.cjs')));
    expect(served).toHaveLength(1);
    expect(served[0].argv).toContain('--max-semi-space-size=64');
    expect(served[0].argv.slice(served[0].argv.findIndex((arg) => arg.endsWith('lamina.cjs')) + 1)).toEqual(['serve', '--port', '0', '--state', path.join(dir, 'state')]);
    expect((await fetch(`${url}/v1/regions/us-east-1/layers`)).status).toBe(200);
    const exited = exitOf(child);
    child.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(existsSync(`/proc/${served[0].pid}`)).toBe(false);
  }, 60_000);

  it("a Ctrl-C (SIGINT to the launcher's process group) reaches the served process once, through the launcher, and stops both with exit code 0", async () => {
    const { child } = await serve({ NODE_OPTIONS: '' }, true);
    const [served] = childProcessesOf(child.pid!).filter((process) => process.argv.some((arg) => arg.endsWith('lamina.cjs')));
    const exited = exitOf(child);
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(existsSync(`/proc/${served.pid}`)).toBe(false);
  }, 60_000);

  it('the served process stops when its launcher is killed outright (SIGKILL)', async () => {
    const { child } = await serve({ NODE_OPTIONS: '' });
    const [served] = childProcessesOf(child.pid!).filter((process) => process.argv.some((arg) => arg.endsWith('lamina.cjs')));
    expect(running(served.pid)).toBe(true);
    const exited = exitOf(child);
    child.kill('SIGKILL');
    expect(await exited).toEqual({ code: null, signal: 'SIGKILL' });
    const deadline = Date.now() + 30_000;
    while (running(served.pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(running(served.pid)).toBe(false);
  }, 60_000);

  it('serves in the process itself when NODE_OPTIONS already sets the flag, and a SIGINT stops it with exit code 0', async () => {
    const { child, url } = await serve({ NODE_OPTIONS: '--max-semi-space-size=32' });
    expect(childProcessesOf(child.pid!).filter((process) => process.argv.some((arg) => arg.endsWith('lamina.cjs')))).toEqual([]);
    expect((await fetch(`${url}/v1/regions/us-east-1/layers`)).status).toBe(200);
    const exited = exitOf(child);
    child.kill('SIGINT');
    expect(await exited).toEqual({ code: 0, signal: null });
  }, 60_000);

  it("passes on the served process's exit code: a port in use is exit 2", async () => {
    const { child, url } = await serve({ NODE_OPTIONS: '' });
    try {
      const port = new URL(url).port;
      await mkdir(path.join(dir, 'other'));
      const second = spawn(process.execPath, [path.join(ROOT, 'bin', 'lamina.cjs'), 'serve', '--port', port, '--state', path.join(dir, 'other')], { cwd: dir, env: { ...process.env, NODE_OPTIONS: '' } });
      let stderr = '';
      second.stderr.on('data', (chunk) => (stderr += chunk));
      expect(await exitOf(second as ChildProcessWithoutNullStreams)).toEqual({ code: 2, signal: null });
      expect(stderr).toContain(`port ${port} is in use; pick another with --port`);
    } finally {
      const exited = exitOf(child);
      child.kill('SIGTERM');
      await exited;
    }
  }, 60_000);
});
