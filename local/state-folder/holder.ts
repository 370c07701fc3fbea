import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Who holds a state folder: the process that started the embedded services on it. dynalite keeps its store open
 * in one process only (a second one gets "Database is closed"), so a second process on the folder either uses the
 * holder's services, when the holder offers them (`lamina serve`), or fails at once naming the holder.
 */
export interface Holder {
  pid: number;
  command: string;
  /** Whether other processes may use this process's services (a long-lived `lamina serve`). */
  shared: boolean;
  startedAt: string;
  /** The environment that reaches the services, once they are up. */
  env?: Record<string, string>;
}

export const HOLDER_FILE = 'services.json';

export type Acquired =
  | { kind: 'owner'; ready(env: Record<string, string>): Promise<void>; release(): Promise<void> }
  | { kind: 'share'; holder: Holder & { env: Record<string, string> } };

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(file: string): Promise<Holder | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as Holder;
  } catch {
    // Missing, or being written this instant.
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Takes the state folder for this process, or finds the services of the process holding it. `inUse` builds the
 * error for a holder that does not share; a holder that died is replaced.
 */
export async function acquireStateFolder(
  stateDir: string,
  me: { command: string; shared: boolean },
  inUse: (holder: Holder) => Error,
): Promise<Acquired> {
  const file = path.join(stateDir, HOLDER_FILE);
  await fs.mkdir(stateDir, { recursive: true });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const holder: Holder = { pid: process.pid, command: me.command, shared: me.shared, startedAt: new Date().toISOString() };
    try {
      await fs.writeFile(file, JSON.stringify(holder), { flag: 'wx' });
      return {
        kind: 'owner',
        ready: async (env) => {
          const partial = `${file}.${process.pid}.tmp`;
          await fs.writeFile(partial, JSON.stringify({ ...holder, env }));
          await fs.rename(partial, file);
        },
        release: async () => {
          if ((await readHolder(file))?.pid === process.pid) await fs.rm(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const current = await readHolder(file);
    if (current && !alive(current.pid)) {
      await fs.rm(file, { force: true });
      continue;
    }
    // The same process asking again (a command inside a test, say) uses the services it already runs.
    if (current && !current.shared && current.pid !== process.pid) throw inUse(current);
    if (current?.env) return { kind: 'share', holder: current as Holder & { env: Record<string, string> } };
    // The holder is starting its services (or its file is being written): look again shortly.
    if (Date.now() > deadline) throw inUse(current ?? { pid: 0, command: 'unknown', shared: false, startedAt: '' });
    await sleep(100);
  }
}
