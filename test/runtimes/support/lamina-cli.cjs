// Runs lamina's CLI entry (local/cli.ts) from the sources, through tsx's CommonJS hook. That hook does not serve
// `import()`, which the command list loads each command with, so the invoke command is handed its module directly.
require('tsx/cjs');
require('../../../local/polyfills.ts');
const { invokeCommand } = require('../../../local/commands/invoke.ts');
const { commands } = require('../../../local/commands/index.ts');
commands.find((command) => command.name === 'invoke').load = async () => invokeCommand;
require('../../../local/cli.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
