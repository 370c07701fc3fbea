import { buildCommand } from './build';
import type { Command } from './command';
import { invokeCommand } from './invoke';
import { listCommand } from './list';
import { runCommand } from './run';
import { schemaCommand } from './schema';
import { serveCommand } from './serve';
import { runsCommand, startCommand, statusCommand, stopCommand } from './executions';

/** Every `lamina` sub-command, in the order `lamina --help` lists them. */
export const commands: Command[] = [runCommand, buildCommand, listCommand, serveCommand, invokeCommand, schemaCommand, startCommand, runsCommand, statusCommand, stopCommand];
