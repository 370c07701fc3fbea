import { commands } from './commands';
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

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name ? EXIT.ok : EXIT.badInput;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) {
    console.error(`lamina: unknown command ${JSON.stringify(name)}; known commands: ${commands.map((c) => c.name).join(', ')}`);
    return EXIT.badInput;
  }
  if (args.includes('--help') || args.includes('-h')) {
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
