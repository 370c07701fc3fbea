#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so `npm ci` is the only set-up step.
require('tsx/cjs');
require('../local/polyfills.ts');
require('../local/cli.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error) => {
    console.error(error && error.stack ? error.stack : String(error));
    process.exitCode = 1;
  });
