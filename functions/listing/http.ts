import { createHash } from 'node:crypto';

/** A request to the listing API, independent of how it arrived (API Gateway, `lamina serve`, `lamina list`). */
export interface ListingRequest {
  method: string;
  /** The path below the API's base, e.g. `/v1/regions`. */
  path: string;
  query: URLSearchParams;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
}

export interface ListingResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** An answer to a bad request: always JSON, with the valid values where there is a list of them. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly validValues?: readonly string[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (code: string, message: string, validValues?: readonly string[]) =>
  new HttpError(400, code, message, validValues);
export const notFound = (code: string, message: string) => new HttpError(404, code, message);

/** The JSON body of an error response. */
export function errorResponse(error: HttpError): ListingResponse {
  const body: { error: { code: string; message: string; validValues?: readonly string[] } } = {
    error: { code: error.code, message: error.message },
  };
  if (error.validValues) body.error.validValues = error.validValues;
  return {
    status: error.status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...error.headers },
    body: JSON.stringify(body),
  };
}

/** A strong entity tag of a representation: its type and bytes, hashed. */
export function entityTag(contentType: string, body: string): string {
  return `"${createHash('sha256').update(contentType).update('\n').update(body).digest('base64url').slice(0, 32)}"`;
}

/**
 * Whether an If-None-Match header matches the tag (RFC 9110 13.1.2: weak comparison, `*` matches any
 * representation, a list is comma separated).
 */
export function ifNoneMatchHits(header: string | undefined, tag: string): boolean {
  if (!header) return false;
  const opaque = (value: string) => value.trim().replace(/^W\//, '');
  return header.split(',').some((candidate) => candidate.trim() === '*' || opaque(candidate) === opaque(tag));
}

/** Adds ETag, Cache-Control and Vary to a successful response. */
export function withValidators(response: ListingResponse, cacheControl: string): ListingResponse {
  const tag = entityTag(response.headers['content-type'] ?? '', response.body);
  return { ...response, headers: { ...response.headers, etag: tag, 'cache-control': cacheControl, vary: 'Accept' } };
}

/** The response itself, or a 304 with no body when the client's If-None-Match already names its ETag. */
export function conditional(request: ListingRequest, response: ListingResponse): ListingResponse {
  const tag = response.headers.etag;
  if (response.status !== 200 || !tag || !ifNoneMatchHits(request.headers['if-none-match'], tag)) return response;
  const { 'content-type': _type, 'content-disposition': _disposition, ...headers } = response.headers;
  return { status: 304, headers, body: '' };
}
