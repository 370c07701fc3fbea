import { pythonKind } from './python/kind';
import { bashRuntimeKind } from './bash-runtime/kind';
import { nodeRuntimeKind } from './node-runtime/kind';
import { npmKind } from './npm/kind';
import { filesKind } from './files/kind';
import type { LayerKind } from './kind';

/** Every layer kind lamina builds. Adding a kind: write its LayerKind and list it here. */
export const LAYER_KINDS: readonly LayerKind<any>[] = [bashRuntimeKind, nodeRuntimeKind, pythonKind, npmKind, filesKind];

export function kindNamed(kind: string): LayerKind<any> {
  const found = LAYER_KINDS.find((candidate) => candidate.kind === kind);
  if (!found) throw new Error(`unknown layer kind ${JSON.stringify(kind)}; known kinds: ${LAYER_KINDS.map((k) => k.kind).join(', ')}`);
  return found;
}
