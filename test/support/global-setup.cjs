// Jest's global set-up: bring the compiled CLI up to date once, before tests spawn `bin/lamina.cjs` in parallel
// (bin/lamina.cjs would rebuild a stale bundle itself, but then every spawned process would race to do it).
module.exports = async function compileCli() {
  const compiled = require('../../bin/compiled-cli.cjs');
  if (compiled.staleness()) await compiled.build();
};
