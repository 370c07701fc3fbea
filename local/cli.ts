import { commands, type CommandEntry } from './commands';
import { EXIT, UsageError } from './commands/command';
import { LaminaError } from '../functions/layers/kind';

const INPUT_ERRORS = ['CatalogError', 'PlanRequestError', 'DuplicateZipEntryError', 'StateFolderError'];

function help(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'lamina: build AWS Lambda layers, publish them to every region, and list their ARNs.',
    '',
    'Usage: lamina <command> [options]',
    '',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Run `lamina <command> --help` for the options of one command.',
  ].join('\n');
}

/** The sub-command `argv` names, and whether its arguments ask for its usage only (`--help`, `-h`: nothing runs). */
function commandOf(argv: string[]): { name: string | undefined; command: CommandEntry | undefined; args: string[]; usageOnly: boolean } {
  const [name, ...args] = argv;
  return { name, command: commands.find((candidate) => candidate.name === name), args, usageOnly: args.includes('--help') || args.includes('-h') };
}

/** The name a Node flag sets, as node reads it (`--max_semi_space_size` and `--max-semi-space-size` are one). */
function flagName(flag: string): string {
  return flag.split('=')[0].replace(/_/g, '-');
}

/**
 * The Node flags the command `argv` names must start with and this process lacks (in its command line or in
 * NODE_OPTIONS, where a user may set the same flag to another value: theirs is kept). bin/lamina.cjs starts node
 * anew with them; none for `--help`, which runs no command.
 */
export function missingNodeFlags(argv: string[], execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const { command, usageOnly } = commandOf(argv);
  const flags = command?.nodeFlags ?? [];
  if (flags.length === 0 || usageOnly) return [];
  const present = new Set([...execArgv, ...nodeOptions.split(/\s+/)].filter(Boolean).map(flagName));
  return flags.filter((flag) => !present.has(flagName(flag)));
}

export async function main(argv: string[]): Promise<number> {
  const { name, command, args, usageOnly } = commandOf(argv);
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name ? EXIT.ok : EXIT.badInput;
  }
  if (!command) {
    console.error(`lamina: unknown command ${JSON.stringify(name)}; known commands: ${commands.map((c) => c.name).join(', ')}`);
    return EXIT.badInput;
  }
  if (usageOnly) {
    console.log(`Usage: ${command.usage}\n\n${command.summary}`);
    return EXIT.ok;
  }
  try {
    return await (await command.load()).run(args);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`lamina ${name}: ${error.message}`);
      return EXIT.badInput;
    }
    if (error instanceof LaminaError) {
      console.error(`lamina ${name}: ${error.message}`);
      // A catalog or request that does not validate is the user's input: exit 2, like a usage error.
      return INPUT_ERRORS.includes(error.code) ? EXIT.badInput : EXIT.failed;
    }
    throw error;
  }
}
