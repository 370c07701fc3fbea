import { createHmac, timingSafeEqual } from 'node:crypto';
import { badRequest } from './http';

/**
 * Opaque pagination cursors: DynamoDB's LastEvaluatedKey as base64url JSON, signed with an HMAC over the listing
 * it belongs to. A cursor someone edited, or one taken from another listing, fails the check and is a 400, so no
 * user-made key ever reaches ExclusiveStartKey (where DynamoDB would reject it with a 500-worthy error).
 */

/** Attributes a LastEvaluatedKey of lamina's table or indexes may hold; anything else is not ours. */
const KEY_ATTRIBUTES = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk']);
const MAX_CURSOR_LENGTH = 2048;
const TAG_BYTES = 16;

export type CursorKey = Record<string, string>;

/**
 * The signing secret: LAMINA_CURSOR_SECRET when set (the deployment should set one), otherwise a default derived
 * from the table name. The default still catches edited and misplaced cursors; it just is not secret.
 */
export function cursorSecret(env: NodeJS.ProcessEnv = process.env): string {
  return env.LAMINA_CURSOR_SECRET || `lamina-cursor:${env.LAMINA_TABLE ?? 'lamina'}`;
}

function tag(secret: string, scope: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(scope).update('\n').update(payload).digest().subarray(0, TAG_BYTES);
}

/** Encodes a LastEvaluatedKey for the listing named by `scope` (e.g. `region-layers:us-east-1`). */
export function encodeCursor(key: Record<string, unknown>, scope: string, secret = cursorSecret()): string {
  const payload = Buffer.from(JSON.stringify(key)).toString('base64url');
  return `${payload}.${tag(secret, scope, payload).toString('base64url')}`;
}

/** Decodes a cursor of the listing named by `scope`; anything malformed, edited or foreign is a 400. */
export function decodeCursor(cursor: string, scope: string, secret = cursorSecret()): CursorKey {
  const invalid = () =>
    badRequest('InvalidCursor', 'cursor is not one this listing issued; start again without a cursor and follow nextCursor');
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH) throw invalid();
  const match = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(cursor);
  if (!match) throw invalid();
  const [, payload, signature] = match;
  const given = Buffer.from(signature, 'base64url');
  const expected = tag(secret, scope, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  // Signed by us, so well-formed; checked anyway, because a leaked default secret must not open the key space.
  if (!key || typeof key !== 'object' || Array.isArray(key)) throw invalid();
  const entries = Object.entries(key as Record<string, unknown>);
  if (entries.length === 0 || entries.some(([name, value]) => !KEY_ATTRIBUTES.has(name) || typeof value !== 'string')) throw invalid();
  return key as CursorKey;
}
