import { invalidParameter } from './errors';

/** Encodes where a listing stopped as an opaque Marker, like Lambda's NextMarker. */
export function encodeMarker(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** Decodes a Marker made by encodeMarker; anything else is an InvalidParameterValueException. */
export function decodeMarker(marker: string | null): Record<string, unknown> | undefined {
  if (marker === null || marker === '') return undefined;
  try {
    const value = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw invalidParameter(`The marker '${marker}' is not valid: pass the NextMarker of a previous response unchanged.`);
}

/** Takes up to `maxItems` items, returning the marker for the rest when there is a rest. */
export function page<T>(items: T[], maxItems: number, markerOf: (last: T) => Record<string, string | number>) {
  const taken = items.slice(0, maxItems);
  const nextMarker = items.length > maxItems ? encodeMarker(markerOf(taken[taken.length - 1])) : undefined;
  return { items: taken, nextMarker };
}
