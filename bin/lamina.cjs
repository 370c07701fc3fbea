#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so `npm ci` is the only set-up step.
// The AWS SDK warns that its 2027 releases will need Node 22; lamina runs on Node 20 and 22 alike.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
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
