import type { Logger } from '@smithy/types';
import type { ClientService } from './clients';

/**
 * Every AWS client in lamina takes its endpoint from the SDK's own settings (AWS_ENDPOINT_URL,
 * AWS_ENDPOINT_URL_<SERVICE>, or the shared config file), so the same code reaches AWS, LocalStack or the
 * embedded services. The one thing the SDK cannot infer is S3 path-style addressing, which every S3 stand-in needs.
 */
export function usesCustomEndpoint(service: ClientService): boolean {
  return Boolean(process.env[`AWS_ENDPOINT_URL_${service}`] || process.env.AWS_ENDPOINT_URL);
}

/**
 * Retries with exponential backoff and jitter; adaptive mode also slows itself down on throttling, which matters
 * for Lambda's low control-plane rate. The SDK's own AWS_MAX_ATTEMPTS / AWS_RETRY_MODE settings win when set.
 */
export const CLIENT_RETRY = {
  maxAttempts: Number(process.env.AWS_MAX_ATTEMPTS) || 6,
  retryMode: process.env.AWS_RETRY_MODE || 'adaptive',
};

/**
 * The SDK's default logger has a no-op `info`, and its logger middleware builds the redacted copy of every input
 * and output it would log before calling it: for a 100-item Query that walk was a sixth of the listing API's CPU,
 * and it is paid on every request of every client. Without `info` the middleware skips it. Its `error` gets every
 * failed request, the expected ones too (a conditional write that lost, a version without a policy), which the
 * caller handles or throws itself: a no-op, as in the default logger. Warnings still reach the console.
 */
export const QUIET_LOGGER = { debug: () => {}, warn: console.warn.bind(console), error: () => {} } as unknown as Logger;

/**
 * What a client is made with when it cannot take cacheMiddleware (the document client refuses it): the retry settings
 * and the quiet logger.
 */
export const PER_COMMAND_CLIENT_SETTINGS = { ...CLIENT_RETRY, logger: QUIET_LOGGER };

/**
 * What every other lamina client is made with. cacheMiddleware (the SDK's documented setting): the client builds
 * each command class's middleware stack once, at its first request, instead of sorting and composing the whole
 * stack for every request, which was about a fifth of the SDK's own CPU per request. What is sent is the same; each
 * request still runs every middleware with its own command's input. What the setting gives up is middleware added
 * to one command instance, which these clients never get (Lambda's pacer is the client's middleware: pacedClient).
 */
export const CLIENT_SETTINGS = { ...PER_COMMAND_CLIENT_SETTINGS, cacheMiddleware: true };
