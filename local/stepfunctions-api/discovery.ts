import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { alive } from '../state-folder/holder';

/**
 * What `lamina serve` tells other lamina commands on the same state folder: its Step Functions endpoint, the state
 * machine, and the endpoints of the services that hold the records (so `lamina start --wait` reads the run's
 * outcomes where the pipeline wrote them). Removed when serve stops.
 */
export interface ServeInfo {
  pid: number;
  stepFunctions: string;
  stateMachineArn: string;
  /** AWS_ENDPOINT_URL_<SERVICE>, LAMINA_TABLE... as the served pipeline uses them. */
  env: Record<string, string>;
}

export const serveInfoFile = (stateDir: string) => path.join(stateDir, 'serve.json');

export async function writeServeInfo(stateDir: string, info: ServeInfo): Promise<void> {
  await fs.mkdir(stateDir, { recursive: true });
  await fs.writeFile(serveInfoFile(stateDir), JSON.stringify(info, null, 2));
}

/** The running `lamina serve` of a state folder, if there is one. */
export async function readServeInfo(stateDir: string): Promise<ServeInfo | undefined> {
  try {
    const info = JSON.parse(await fs.readFile(serveInfoFile(stateDir), 'utf8')) as ServeInfo;
    return alive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

export async function removeServeInfo(stateDir: string): Promise<void> {
  await fs.rm(serveInfoFile(stateDir), { force: true });
}
