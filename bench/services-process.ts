/**
 * The embedded services (local/services.ts) in a process of their own, for benchmarks that would otherwise share one
 * event loop between the pipeline and its services: `lamina run` beside `lamina serve`, as a user runs them.
 *
 * As a command (`tsx bench/services-process.ts <state folder>`) it prints the services' environment as one JSON line,
 * then serves until its standard input closes or it is sent SIGTERM. Started with an IPC channel (servicesInChildProcess
 * below) it also answers `{ type: 'figures' }` with the layer-API emulator's pacing counts and its own CPU time.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { startLocalServices } from '../local/services';

/** What the services process measured, for a benchmark's table. */
export interface ServicesFigures {
  /** Layer-API calls per region (admitted or refused) and the refused ones (429), since the process started. */
  calls: Record<string, number>;
  throttled: Record<string, number>;
  /** The services process's CPU time (user + system) since it started, in ms. */
  cpuMs: number;
}

export interface ServicesChild {
  /** The environment the services printed (endpoints, bucket, credentials), already applied to process.env. */
  env: Record<string, string>;
  figures(): Promise<ServicesFigures>;
  close(): Promise<void>;
}

/**
 * Starts the services in a child process and points this process's SDK settings at them, as a run sharing
 * `lamina serve`'s would; close() stops the child and puts the environment back.
 */
export async function servicesInChildProcess(stateDir: string): Promise<ServicesChild> {
  const child = spawn(process.execPath, [...(process.env.BENCH_SERVICES_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_SERVICES_PROFILE] : []), '--import', 'tsx', __filename, stateDir], { stdio: ['pipe', 'pipe', 'inherit', 'ipc'] });
  const exited = once(child, 'exit');
  const lines = readline.createInterface({ input: child.stdout! });
  const failed = exited.then(() => {
    throw new Error('the services process (bench/services-process.ts) exited before it printed its environment');
  });
  const [line] = (await Promise.race([once(lines, 'line'), failed])) as [string];
  const env = JSON.parse(line) as Record<string, string>;
  const previous = { ...process.env };
  Object.assign(process.env, env);
  return {
    env,
    figures: async () => {
      child.send({ type: 'figures' });
      const [message] = (await once(child, 'message')) as [ServicesFigures];
      return message;
    },
    close: async () => {
      child.stdin!.end();
      await exited;
      for (const name of Object.keys(env)) {
        if (previous[name] === undefined) delete process.env[name];
        else process.env[name] = previous[name];
      }
    },
  };
}

async function main(): Promise<void> {
  const stateDir = process.argv[2];
  if (!stateDir) throw new Error('usage: tsx bench/services-process.ts <state folder>');
  const services = await startLocalServices({ stateDir, inMemory: true });
  const stop = () => void services.close().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.stdin.once('end', stop).resume();
  process.on('message', (message: { type?: string }) => {
    if (message?.type !== 'figures') return;
    const pacing = services.emulator?.pacing;
    const cpu = process.cpuUsage();
    const figures: ServicesFigures = {
      calls: Object.fromEntries(pacing?.calls ?? []),
      throttled: Object.fromEntries(pacing?.throttled ?? []),
      cpuMs: (cpu.user + cpu.system) / 1000,
    };
    process.send!(figures);
  });
  // Without an IPC channel the process must not wait on one.
  process.channel?.unref();
  process.stdout.write(`${JSON.stringify(services.env)}\n`);
}

if (require.main === module || path.resolve(process.argv[1] ?? '') === __filename) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
