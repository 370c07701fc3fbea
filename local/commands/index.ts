import type { Command } from './command';

/** Every `lamina` sub-command, in the order `lamina --help` lists them. */
export const commands: Command[] = [];
