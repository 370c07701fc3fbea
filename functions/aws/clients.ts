/**
 * The SDK clients of a process, reused the way a warm Lambda container reuses the ones it made at its first
 * invocation: making a client resolves its whole configuration and, at its first request, its credentials (the
 * provider chain) and endpoint, and opens new connections; reused, it does none of that again.
 *
 * A client is made once per service, variant (its region and options) and environment: the settings the SDK
 * reads when it makes a client (the endpoint URLs, the region, the credentials, the profile and config files, the
 * retry settings). When one of them changes (the local runner points AWS_ENDPOINT_URL_<SERVICE> at new services
 * between runs; a test sets other credentials), the next caller gets a new client for the new settings.
 */

/** Environment variables the SDK reads when it makes a client, for every service. */
const SDK_SETTINGS = [
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ENDPOINT_URL',
  'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_MAX_ATTEMPTS',
  'AWS_RETRY_MODE',
  'AWS_USE_FIPS_ENDPOINT',
  'AWS_USE_DUALSTACK_ENDPOINT',
  'AWS_SDK_UA_APP_ID',
] as const;

/** The services lamina makes clients for, as the SDK names them in AWS_ENDPOINT_URL_<SERVICE>. */
export type ClientService = 'S3' | 'DYNAMODB' | 'LAMBDA' | 'SSM' | 'SFN' | 'EVENTBRIDGE' | 'SNS' | 'ACCOUNT';

interface Slot {
  settings: string;
  client: unknown;
}

const slots = new Map<string, Slot>();

/** What the SDK would read from the environment to make this service's client now. */
export function clientSettings(service: ClientService, env: NodeJS.ProcessEnv = process.env): string {
  return JSON.stringify([env[`AWS_ENDPOINT_URL_${service}`], ...SDK_SETTINGS.map((name) => env[name])]);
}

/**
 * The process's client for `service` and `variant` (a region, an option set: whatever `make` builds differently),
 * made by `make` when there is none for the current environment settings.
 */
export function sharedClient<T>(service: ClientService, variant: string, make: () => T): T {
  const key = `${service}\u0000${variant}`;
  const settings = clientSettings(service);
  const slot = slots.get(key);
  if (slot && slot.settings === settings) return slot.client as T;
  // A client made for other settings is dropped, not destroyed: a request still in flight on it may finish, and
  // its idle keep-alive sockets hold nothing open (Node unrefs them; the closed services end them).
  const client = make();
  slots.set(key, { settings, client });
  return client;
}

/** Forgets (and destroys) the clients of `service`, or of every service: the next caller gets a new one. */
export function forgetClients(service?: ClientService): void {
  for (const [key, slot] of slots) {
    if (service && !key.startsWith(`${service}\u0000`)) continue;
    (slot.client as { destroy?: () => void }).destroy?.();
    slots.delete(key);
  }
}
