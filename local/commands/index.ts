import { buildCommand } from './build';
import type { Command } from './command';
import { invokeCommand } from './invoke';
import { runCommand } from './run';
import { schemaCommand } from './schema';

/** Every `lamina` sub-command, in the order `lamina --help` lists them. */
export const commands: Command[] = [runCommand, buildCommand, invokeCommand, schemaCommand];
