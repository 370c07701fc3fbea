/** Folder beside `bootstrap` holding the node binary, its license and the runtime client. */
export const NODE_RUNTIME_DIR = 'node-runtime';

/**
 * The Node.js runtime layer's `bootstrap`. It finds node and the runtime client relative to its own location, so
 * the same layer works at /opt on Lambda and from any local folder. The V8 heap is sized from the function's
 * memory as Lambda's managed Node.js runtimes do, leaving room for the rest of the process, and npm layers
 * (`/opt/nodejs/node_modules`) are found through NODE_PATH as on the managed runtimes.
 */
export const NODE_BOOTSTRAP = `#!/bin/sh
# lamina Node.js runtime for AWS Lambda (provided.al2023 / provided.al2).
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd) || exit 1
# Lambda sets NODE_PATH only for its managed Node.js runtimes: find npm layers' nodejs/node_modules as they do.
NODE_PATH=\${NODE_PATH:-$here/nodejs/node_modules}
export NODE_PATH
memory=\${AWS_LAMBDA_FUNCTION_MEMORY_SIZE:-}
case "$memory" in
  ''|*[!0-9]*) exec "$here/${NODE_RUNTIME_DIR}/bin/node" "$here/${NODE_RUNTIME_DIR}/runtime.js" ;;
  *) exec "$here/${NODE_RUNTIME_DIR}/bin/node" --max-old-space-size=$((memory * 9 / 10)) "$here/${NODE_RUNTIME_DIR}/runtime.js" ;;
esac
`;
