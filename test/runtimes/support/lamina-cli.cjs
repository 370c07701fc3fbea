// Runs lamina's CLI entry (local/cli.ts) with only the invoke command loaded: the other commands pull in the
// local AWS services, which this test does not need, and invoke must be testable before the lead registers it.
require('tsx/cjs');
require('../../../local/polyfills.ts');
const { invokeCommand } = require('../../../local/commands/invoke.ts');
const index = require.resolve('../../../local/commands/index.ts');
require.cache[index] = { id: index, filename: index, loaded: true, exports: { commands: [invokeCommand] } };
require('../../../local/cli.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
