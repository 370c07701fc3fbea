#!/usr/bin/env node
// Runs the compiled CLI (compiled/cli.mjs, built by `npm ci` through `prepare`, or `npm run build:cli`), so that
// nothing is transpiled on a call. When a source is newer than the bundle, it is rebuilt first; where esbuild is
// missing, the sources run through tsx instead. LAMINA_CLI_REQUIRE_COMPILED=1 makes a stale or missing bundle an
// error instead (CI checks with it that `npm ci` built the CLI).
// The AWS SDK warns that its 2027 releases will need Node 22; lamina runs on Node 20 and 22 alike.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { pathToFileURL } = require('node:url');

/** Set in the environment of a command relaunch() started anew with its node flags. */
const RELAUNCHED = 'LAMINA_RELAUNCHED';
if (process.env[RELAUNCHED] === '1' && process.channel) {
  delete process.env[RELAUNCHED];
  // The launcher's channel: it closes when the launcher ends, even by SIGKILL; then the command stops as on a
  // SIGTERM. Unreferenced, so that it never keeps this process alive by itself.
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
const compiled = require('./compiled-cli.cjs');

/** The sources through tsx, whose loader must be registered for `import()` too: a new node with `--import tsx`. */
function runSources() {
  const { spawnSync } = require('node:child_process');
  const child = spawnSync(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, __filename, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, LAMINA_CLI_SOURCES: '1' },
  });
  if (child.error) throw child.error;
  return { main: async () => child.status ?? 1 };
}

async function load() {
  if (process.env.LAMINA_CLI_SOURCES === '1') {
    require('../local/polyfills.ts');
    return require('../local/cli.ts');
  }
  const stale = compiled.staleness();
  if (!stale) return import(pathToFileURL(compiled.OUT_FILE).href);
  if (process.env.LAMINA_CLI_REQUIRE_COMPILED === '1') {
    throw new Error(`the compiled CLI ${compiled.OUT_FILE} is not up to date (${stale}); run \`npm run build:cli\``);
  }
  let esbuildPresent = true;
  try {
    require.resolve('esbuild');
  } catch {
    esbuildPresent = false;
  }
  if (esbuildPresent) return import(pathToFileURL(await compiled.build()).href);
  return runSources();
}

/**
 * Runs this command again in a new node with the Node flags it needs (a command's `nodeFlags`, local/commands),
 * which only take effect when a process starts. The new process is the command: its exit code is this one's, and a
 * signal this process gets (a Ctrl-C, a test's kill, a supervisor's SIGTERM) is passed on. It runs in a process group
 * of its own so that each signal reaches it once, through here: a Ctrl-C signals the terminal's whole group, and a
 * second SIGINT arriving while node exits would kill it (node's handlers are gone by then). It stops when this
 * process is gone, however that ended (its IPC channel closes: see the top of this file).
 */
function relaunch(flags) {
  const { spawn } = require('node:child_process');
  const child = spawn(process.execPath, [...flags, ...process.execArgv, __filename, ...process.argv.slice(2)], {
    detached: true,
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [RELAUNCHED]: '1' },
  });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const forward = (signal) => child.kill(signal);
  for (const signal of signals) process.on(signal, forward);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      for (const name of signals) process.off(name, forward);
      if (signal) process.kill(process.pid, signal);
      resolve(code ?? 1);
    });
  });
}

load()
  .then((cli) => {
    if (process.env.LAMINA_CLI_TRACE === '1' && process.env.LAMINA_CLI_SOURCES !== '1') console.error(`lamina: running ${cli.compiledFrom ?? 'the TypeScript sources (tsx)'}`);
    const flags = cli.missingNodeFlags ? cli.missingNodeFlags(process.argv.slice(2)) : [];
    if (flags.length > 0) return relaunch(flags);
    return cli.main(process.argv.slice(2));
  })
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error) => {
    console.error(error && error.stack ? error.stack : String(error));
    process.exitCode = 1;
  });
