import type { ListingResponse } from './http';

/**
 * A small in-process cache of successful listing answers, for a few seconds. The listing changes only when a
 * pipeline run or Expire records something, and every answer already says `Cache-Control: max-age=60`, so an
 * answer a few seconds old is one any HTTP cache could have given. A warm Lambda container (or `lamina serve`)
 * then answers a burst of identical requests with one DynamoDB read. Off unless LAMINA_LISTING_CACHE_SECONDS
 * is set.
 */
export class ResponseCache {
  private readonly entries = new Map<string, { response: ListingResponse; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 500,
    private readonly now: () => number = Date.now,
  ) {}

  /** A cache from LAMINA_LISTING_CACHE_SECONDS (a positive number of seconds), or undefined when it is unset. */
  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): ResponseCache | undefined {
    const seconds = Number(env.LAMINA_LISTING_CACHE_SECONDS);
    return Number.isFinite(seconds) && seconds > 0 ? new ResponseCache(seconds * 1000) : undefined;
  }

  /** The key of a request: what selects its representation (path, query, Accept), nothing else. */
  keyOf(path: string, query: URLSearchParams, accept: string | undefined): string {
    return `${path}?${query.toString()}\n${accept ?? ''}`;
  }

  get(key: string): ListingResponse | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.response;
  }

  set(key: string, response: ListingResponse): void {
    this.entries.delete(key);
    this.entries.set(key, { response, expires: this.now() + this.ttlMs });
    // A Map iterates in insertion order: the first key is the oldest.
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}
