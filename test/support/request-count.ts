import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

/** Requests by `Service.Operation`, e.g. `DynamoDB.GetItem`, `Lambda.ListLayerVersions`, `S3.GET`. */
export type RequestCounts = Record<string, number>;

/** Lambda's layer API is REST: the operation is the method and the shape of the path. */
const LAMBDA_ROUTES: [RegExp, Record<string, string>][] = [
  [/^\/2018-10-31\/layers\/[^/]+\/versions\/\d+\/policy\/[^/]+$/, { DELETE: 'RemoveLayerVersionPermission' }],
  [/^\/2018-10-31\/layers\/[^/]+\/versions\/\d+\/policy$/, { GET: 'GetLayerVersionPolicy', POST: 'AddLayerVersionPermission' }],
  [/^\/2018-10-31\/layers\/[^/]+\/versions\/\d+$/, { GET: 'GetLayerVersion', DELETE: 'DeleteLayerVersion' }],
  [/^\/2018-10-31\/layers\/[^/]+\/versions$/, { GET: 'ListLayerVersions', POST: 'PublishLayerVersion' }],
  [/^\/2018-10-31\/layers$/, { GET: 'ListLayers' }],
];

/** What operationOf reads of a request, from Node's ClientRequest or undici's request. */
interface OnTheWire {
  method: string;
  path: string;
  header(name: string): unknown;
}

const fromNode = (request: ClientRequest): OnTheWire => ({ method: request.method, path: request.path, header: (name) => request.getHeader(name) });

/** undici's request (its `headers` a flat list of names and values), as BufferedHttpHandler's requests go. */
function fromUndici(request: { method: string; path: string; headers: string[] }): OnTheWire {
  return {
    method: request.method,
    path: request.path,
    header(name) {
      for (let i = 0; i + 1 < request.headers.length; i += 2) if (request.headers[i].toLowerCase() === name) return request.headers[i + 1];
      return undefined;
    },
  };
}

/** The service and operation of one SDK request, from what goes on the wire. */
function operationOf(request: OnTheWire): string {
  const target = request.header('x-amz-target');
  if (typeof target === 'string') {
    // JSON protocols: DynamoDB_20120810.GetItem, AmazonSSM.GetParameter, AWSEvents.PutEvents.
    const [prefix, operation] = target.split('.');
    const service = prefix.startsWith('DynamoDB') ? 'DynamoDB' : prefix === 'AmazonSSM' ? 'SSM' : prefix === 'AWSEvents' ? 'EventBridge' : prefix;
    return `${service}.${operation}`;
  }
  const pathname = (request.path ?? '').split('?')[0];
  for (const [pattern, byMethod] of LAMBDA_ROUTES) {
    if (pattern.test(pathname) && byMethod[request.method]) return `Lambda.${byMethod[request.method]}`;
  }
  return `S3.${request.method}`;
}

/**
 * Counts the HTTP requests this process sends (Node's `http.client.request.start` channel and undici's
 * `undici:request:create`, which BufferedHttpHandler's requests go through: every attempt the SDK or a lean request
 * puts on the wire, retries included), by operation and by the label of the code that sent them: `count(label,
 * fn)` runs `fn` with that label, so two publishes running at once are counted apart.
 */
export function requestCounter() {
  const label = new AsyncLocalStorage<string>();
  const counts = new Map<string, RequestCounts>();
  const tallied = (read: (message: unknown) => OnTheWire) => (message: unknown) => {
    const owner = label.getStore();
    if (owner === undefined) return;
    const operation = operationOf(read(message));
    const tally = counts.get(owner) ?? {};
    tally[operation] = (tally[operation] ?? 0) + 1;
    counts.set(owner, tally);
  };
  const onStart = tallied((message) => fromNode((message as { request: ClientRequest }).request));
  const onCreate = tallied((message) => fromUndici((message as { request: Parameters<typeof fromUndici>[0] }).request));
  subscribe('http.client.request.start', onStart);
  subscribe('undici:request:create', onCreate);
  return {
    count<T>(name: string, fn: () => Promise<T>): Promise<T> {
      counts.set(name, counts.get(name) ?? {});
      return label.run(name, fn);
    },
    /** The counts of one label, operations in name order. */
    of(name: string): RequestCounts {
      return Object.fromEntries(Object.entries(counts.get(name) ?? {}).sort(([a], [b]) => a.localeCompare(b)));
    },
    close: () => {
      unsubscribe('http.client.request.start', onStart);
      unsubscribe('undici:request:create', onCreate);
    },
  };
}

/** The total of a set of counts. */
export const totalOf = (counts: RequestCounts) => Object.values(counts).reduce((sum, n) => sum + n, 0);
