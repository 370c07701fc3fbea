/**
 * The embedded services (local/services.ts) in a process of their own, for benchmarks that would otherwise share one
 * event loop between the pipeline and its services: `lamina run` beside `lamina serve`, as a user runs them. Prints the
 * services' environment as one JSON line, then serves until its standard input closes or it is sent SIGTERM.
 *
 *   tsx bench/services-process.ts <state folder>
 */
import { startLocalServices } from '../local/services';

async function main(): Promise<void> {
  const stateDir = process.argv[2];
  if (!stateDir) throw new Error('usage: tsx bench/services-process.ts <state folder>');
  const services = await startLocalServices({ stateDir, inMemory: true });
  const stop = () => void services.close().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.stdin.once('end', stop).resume();
  process.stdout.write(`${JSON.stringify(services.env)}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
