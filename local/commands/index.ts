import type { Command, CommandInfo } from './command';

/** A sub-command as `lamina --help` knows it, and how to load what runs it. */
export interface CommandEntry extends CommandInfo {
  /**
   * The command's module, imported only when the command runs: `lamina --help` (and each command) loads nothing
   * else. The compiled CLI splits at these imports (see bin/compiled-cli.cjs).
   */
  load(): Promise<Command>;
}

/**
 * `lamina serve`'s Node flags: a young generation sized for the listing API's requests in flight. Under 100
 * connections each request's objects live across its Query's wait, about one scavenge interval at V8's default
 * 16 MB semi-space, so scavenges copy and promote most of them and the collector takes about a quarter of the API's
 * CPU (`--cpu-prof`, `--trace-gc`); at 64 MB they die young. `npm run bench:api` measures the API with and without
 * them. A deployed Lambda container serves one request at a time and needs none.
 */
export const SERVE_NODE_FLAGS = ['--max-semi-space-size=64'] as const;

const TARGET_USAGE = '[--state-machine-arn arn] [--endpoint-url url] [--stack-name Lamina] [--region r] [--state .lamina]';

/** Every `lamina` sub-command, in the order `lamina --help` lists them. */
export const commands: CommandEntry[] = [
  {
    name: 'run',
    summary: 'Run the pipeline locally on the embedded default: build, publish to every region, record, list.',
    usage: 'lamina run [--catalog catalog.yaml] [--only <layer>[,<layer>...]] [--regions <region>[,<region>...]] [--force] [--audit] [--state .lamina] [--json]',
    load: async () => (await import('./run')).runCommand,
  },
  {
    name: 'build',
    summary: 'Build the zips of one catalog entry (every target of it) into ./dist, each with its manifest and SBOM; nothing is published.',
    usage: 'lamina build <entry> [--catalog catalog.yaml] [--out dist] [--state .lamina] [--no-verify]',
    load: async () => (await import('./build')).buildCommand,
  },
  {
    name: 'list',
    summary: 'List the latest public layer ARNs, from the local store or a deployed listing API.',
    usage: 'lamina list [--region <region>] [--runtime <runtime>] [--arch x86_64|arm64] [--kind <kind>] [--q <name part>] [--format table|json|csv] [--api <url>] [--state .lamina]',
    load: async () => (await import('./list')).listCommand,
  },
  {
    name: 'serve',
    summary: 'Serve the listing API and page, and the Step Functions API that runs the pipeline, on 127.0.0.1 over the local store.',
    usage: 'lamina serve [--port 8080] [--sfn-port 0] [--catalog catalog.yaml] [--state .lamina]',
    nodeFlags: SERVE_NODE_FLAGS,
    load: async () => (await import('./serve')).serveCommand,
  },
  {
    name: 'invoke',
    summary: 'Run a function locally on custom runtime layers through a local Lambda Runtime API (like sam local invoke).',
    usage: 'lamina invoke --layer <zip | folder | local layer ARN>... --code <dir | zip> --handler <file.function> [--event <json | file>] [--events <file>] [--timeout <s>] [--memory <mb>] [--env KEY=VALUE]... [--state .lamina]',
    load: async () => (await import('./invoke')).invokeCommand,
  },
  {
    name: 'schema',
    summary: "Write the catalog's JSON Schema (for editors) to schema/catalog.schema.json, or print it.",
    usage: 'lamina schema [--print]',
    load: async () => (await import('./schema')).schemaCommand,
  },
  {
    name: 'start',
    summary: 'Start the deployed (or served) pipeline with the Step Functions API; with --wait, follow it and print what lamina run prints.',
    usage: `lamina start [--only <layer>[,<layer>...]] [--regions <region>[,<region>...]] [--force] [--wait] [--name run-id] [--json] ${TARGET_USAGE}`,
    load: async () => (await import('./executions')).startCommand,
  },
  {
    name: 'runs',
    summary: 'List the recent runs (executions) of the deployed or served pipeline, newest first, with their outcome.',
    usage: `lamina runs [--max 20] [--status RUNNING|SUCCEEDED|FAILED|ABORTED] ${TARGET_USAGE}`,
    load: async () => (await import('./executions')).runsCommand,
  },
  {
    name: 'status',
    summary: 'Show one run: its status, dates, and each layer × region outcome recorded so far.',
    usage: `lamina status <run> [--json] ${TARGET_USAGE}`,
    load: async () => (await import('./executions')).statusCommand,
  },
  {
    name: 'stop',
    summary: 'Stop a running run (StopExecution); it ends ABORTED.',
    usage: `lamina stop <run> [--cause text] ${TARGET_USAGE}`,
    load: async () => (await import('./executions')).stopCommand,
  },
];
