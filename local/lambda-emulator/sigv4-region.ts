import type { IncomingHttpHeaders } from 'node:http';
import { LambdaApiError } from './errors';

/** The parts of a SigV4 credential scope: `AKID/20260101/eu-west-1/lambda/aws4_request`. */
export interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$/;

const incomplete = (message: string) => new LambdaApiError('IncompleteSignatureException', 403, message);

/** Splits `AKID/date/region/service/aws4_request`, or throws the IncompleteSignatureException AWS answers with. */
export function parseCredentialScope(credential: string): CredentialScope {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || parts.some((part) => part === '')) {
    throw incomplete(
      `Credential should be scoped to a valid region and service: expected 'AKID/yyyymmdd/<region>/lambda/aws4_request', got '${credential}'.`,
    );
  }
  const [accessKeyId, date, region, service] = parts;
  return { accessKeyId, date, region, service };
}

/**
 * Finds the region a request is signed for, from the SigV4 `Authorization` header (or the `X-Amz-Credential` query
 * parameter of a presigned URL), the way Lambda routes a request to its region. The signature itself is not
 * verified: the emulator accepts any credentials.
 */
export function regionFromRequest(headers: IncomingHttpHeaders, query: URLSearchParams): string {
  let credential: string | undefined;
  const authorization = headers.authorization;
  if (authorization) {
    if (!authorization.startsWith('AWS4-HMAC-SHA256 ')) {
      throw incomplete(`Authorization header must use AWS4-HMAC-SHA256 (Signature Version 4), got '${authorization.split(' ')[0]}'.`);
    }
    const fields = new Map<string, string>();
    for (const field of authorization.slice('AWS4-HMAC-SHA256 '.length).split(',')) {
      const eq = field.indexOf('=');
      if (eq > 0) fields.set(field.slice(0, eq).trim(), field.slice(eq + 1).trim());
    }
    for (const required of ['Credential', 'SignedHeaders', 'Signature']) {
      if (!fields.get(required)) {
        throw incomplete(`Authorization header requires '${required}' parameter. Authorization=${authorization}`);
      }
    }
    if (!headers['x-amz-date'] && !headers.date) {
      throw incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    }
    credential = fields.get('Credential');
  } else {
    credential = query.get('X-Amz-Credential') ?? undefined;
  }
  if (!credential) {
    throw new LambdaApiError('MissingAuthenticationTokenException', 403, 'Missing Authentication Token');
  }
  const scope = parseCredentialScope(credential);
  if (scope.service !== 'lambda') {
    throw new LambdaApiError(
      'InvalidSignatureException',
      403,
      `Credential should be scoped to correct service: 'lambda', not '${scope.service}'.`,
    );
  }
  if (!REGION_PATTERN.test(scope.region)) {
    throw new LambdaApiError('InvalidSignatureException', 403, `Credential should be scoped to a valid region, not '${scope.region}'.`);
  }
  return scope.region;
}
