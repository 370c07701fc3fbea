import type { ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';

/**
 * An error the emulator answers with, shaped like Lambda's: HTTP status, `x-amzn-ErrorType` header and a JSON body
 * with `Type`/`Message` (and `message`, which the modeled exceptions of @aws-sdk/client-lambda read).
 */
export class LambdaApiError extends Error {
  constructor(
    /** AWS error name, e.g. ResourceNotFoundException; the SDK raises an exception with this `name`. */
    readonly errorType: string,
    readonly statusCode: number,
    message: string,
    readonly extraHeaders: Record<string, string> = {},
    readonly extraBody: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = errorType;
  }
}

/** Constraint violations (pattern, length, enum) as Lambda's front end reports them: one message, all violations. */
export function validationError(violations: string[]): LambdaApiError {
  const count = violations.length;
  return new LambdaApiError(
    'ValidationException',
    400,
    `${count} validation error${count > 1 ? 's' : ''} detected: ${violations.join('; ')}`,
  );
}

export const invalidParameter = (message: string) => new LambdaApiError('InvalidParameterValueException', 400, message);

export const notFound = (message = 'The resource you requested does not exist.') =>
  new LambdaApiError('ResourceNotFoundException', 404, message);

export const conflict = (message: string) => new LambdaApiError('ResourceConflictException', 409, message);

export const preconditionFailed = () =>
  new LambdaApiError(
    'PreconditionFailedException',
    412,
    'The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve the latest Revision Id',
  );

/** Body size limit AWS applies to PublishLayerVersion requests (a 50 MB zip, base64-encoded, plus the JSON around it). */
export const MAX_PUBLISH_REQUEST_BYTES = 70167211;

export const requestTooLarge = (operation: string) =>
  new LambdaApiError(
    'RequestEntityTooLargeException',
    413,
    `Request must be smaller than ${MAX_PUBLISH_REQUEST_BYTES} bytes for the ${operation} operation`,
  );

/** Writes `error` as Lambda would; anything that is not a LambdaApiError becomes a 500 ServiceException. */
export function sendError(res: ServerResponse, error: unknown): void {
  const apiError =
    error instanceof LambdaApiError
      ? error
      : new LambdaApiError('ServiceException', 500, `The emulator failed to handle the request: ${(error as Error)?.message ?? error}`);
  const type = apiError.statusCode >= 500 ? 'Service' : 'User';
  const body = JSON.stringify({ Type: type, Message: apiError.message, message: apiError.message, ...apiError.extraBody });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(apiError.statusCode, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'x-amzn-RequestId': randomUUID(),
    'x-amzn-ErrorType': apiError.errorType,
    ...apiError.extraHeaders,
  });
  res.end(body);
}
