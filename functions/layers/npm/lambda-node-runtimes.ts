/**
 * Facts about the AWS Lambda Node.js runtimes an npm layer targets. Adding a Node.js line to lamina means adding one
 * line here (it then appears in the catalog schema).
 */
export interface NodeLambdaRuntime {
  runtime: string;
  /** The Node.js major line the runtime runs. */
  major: number;
  /** glibc of the runtime's operating system: Amazon Linux 2 has 2.26, Amazon Linux 2023 has 2.34. */
  glibc: [number, number];
  os: 'Amazon Linux 2' | 'Amazon Linux 2023';
}

export const NODE_LAMBDA_RUNTIMES = [
  { runtime: 'nodejs18.x', major: 18, glibc: [2, 26], os: 'Amazon Linux 2' },
  { runtime: 'nodejs20.x', major: 20, glibc: [2, 34], os: 'Amazon Linux 2023' },
  { runtime: 'nodejs22.x', major: 22, glibc: [2, 34], os: 'Amazon Linux 2023' },
  { runtime: 'nodejs24.x', major: 24, glibc: [2, 34], os: 'Amazon Linux 2023' },
] as const satisfies readonly NodeLambdaRuntime[];

export type NodeRuntimeId = (typeof NODE_LAMBDA_RUNTIMES)[number]['runtime'];
export const NODE_RUNTIME_IDS = NODE_LAMBDA_RUNTIMES.map((r) => r.runtime) as unknown as readonly [NodeRuntimeId, ...NodeRuntimeId[]];

export function nodeLambdaRuntime(runtime: string): NodeLambdaRuntime {
  const found = NODE_LAMBDA_RUNTIMES.find((r) => r.runtime === runtime);
  if (!found) throw new Error(`unknown Node.js runtime ${JSON.stringify(runtime)}; lamina knows ${NODE_RUNTIME_IDS.join(', ')}`);
  return found as NodeLambdaRuntime;
}
