/**
 * The Simple Repository API: project pages as JSON (PEP 691) or HTML (PEP 503), with yanked files (PEP 592),
 * `requires-python` (PEP 503 data-requires-python) and per-file core metadata (PEP 658, renamed by PEP 714).
 * Parsing only: fetching lives in index-client.ts.
 */

export interface IndexFile {
  filename: string;
  /** Absolute URL, fragment removed. */
  url: string;
  hashes: Record<string, string>;
  requiresPython?: string;
  /** False, or the reason (possibly empty) the file was yanked. */
  yanked: false | string;
  /** Whether `<url>.metadata` exists, and its hashes when given. */
  coreMetadata: false | { hashes: Record<string, string> };
}

export interface ProjectPage {
  name: string;
  files: IndexFile[];
}

export const JSON_CONTENT_TYPE = 'application/vnd.pypi.simple.v1+json';
export const HTML_CONTENT_TYPE = 'application/vnd.pypi.simple.v1+html';
/** What the client asks for: JSON first, HTML as the fallback (PEP 691 content negotiation). */
export const ACCEPT_HEADER = `${JSON_CONTENT_TYPE}, ${HTML_CONTENT_TYPE};q=0.2, text/html;q=0.01`;

function metadataOf(value: unknown): IndexFile['coreMetadata'] {
  if (value === true) return { hashes: {} };
  if (value && typeof value === 'object') return { hashes: { ...(value as Record<string, string>) } };
  return false;
}

function splitUrl(href: string, base: string): { url: string; hashes: Record<string, string> } {
  const absolute = new URL(href, base);
  const hashes: Record<string, string> = {};
  const fragment = /^#(sha256|sha384|sha512|md5)=([0-9a-fA-F]+)$/.exec(absolute.hash);
  if (fragment) hashes[fragment[1]] = fragment[2].toLowerCase();
  absolute.hash = '';
  return { url: absolute.toString(), hashes };
}

/** Parses a PEP 691 JSON project page fetched from `pageUrl`. */
export function parseJsonPage(body: string, pageUrl: string): ProjectPage {
  const data = JSON.parse(body) as { name?: string; files?: Array<Record<string, unknown>> };
  if (!data || !Array.isArray(data.files)) throw new Error(`${pageUrl} is not a PEP 691 project page (no "files" list)`);
  const files = data.files.map((file): IndexFile => {
    const { url, hashes: fragmentHashes } = splitUrl(String(file.url), pageUrl);
    const hashes = { ...fragmentHashes, ...((file.hashes as Record<string, string>) ?? {}) };
    const yanked = file.yanked;
    return {
      filename: String(file.filename),
      url,
      hashes,
      requiresPython: typeof file['requires-python'] === 'string' && file['requires-python'] ? String(file['requires-python']) : undefined,
      // An empty string is not a PEP 691 yank reason; pip reads it as "not yanked" and so does lamina.
      yanked: yanked === true ? '' : typeof yanked === 'string' && yanked !== '' ? yanked : false,
      coreMetadata: metadataOf(file['core-metadata'] ?? file['dist-info-metadata']),
    };
  });
  return { name: data.name ?? '', files };
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Decodes the HTML character references that appear in index pages. */
export function unescapeHtml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

function attributesOf(tag: string): Map<string, string | true> {
  const attributes = new Map<string, string | true>();
  const pattern = /([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  const inner = tag.replace(/^<\s*[a-zA-Z]+/, '').replace(/\/?>$/, '');
  for (const match of inner.matchAll(pattern)) {
    const value = match[2] ?? match[3] ?? match[4];
    attributes.set(match[1].toLowerCase(), value === undefined ? true : unescapeHtml(value));
  }
  return attributes;
}

function htmlMetadata(value: string | true | undefined): IndexFile['coreMetadata'] {
  if (value === undefined || value === 'false') return false;
  if (value === true || value === 'true') return { hashes: {} };
  const match = /^(\w+)=([0-9a-fA-F]+)$/.exec(value);
  return { hashes: match ? { [match[1]]: match[2].toLowerCase() } : {} };
}

/** Parses a PEP 503 HTML project page fetched from `pageUrl` (anchors; `<base href>` honoured). */
export function parseHtmlPage(body: string, pageUrl: string, name = ''): ProjectPage {
  let base = pageUrl;
  const baseTag = /<base\s[^>]*>/i.exec(body);
  if (baseTag) {
    const href = attributesOf(baseTag[0]).get('href');
    if (typeof href === 'string') base = new URL(href, pageUrl).toString();
  }
  const files: IndexFile[] = [];
  for (const match of body.matchAll(/<a\s[^>]*>([\s\S]*?)<\/a\s*>/gi)) {
    const open = /^<a\s[^>]*>/i.exec(match[0])![0];
    const attributes = attributesOf(open);
    const href = attributes.get('href');
    if (typeof href !== 'string') continue;
    const { url, hashes } = splitUrl(href, base);
    const text = unescapeHtml(match[1].replace(/<[^>]*>/g, '')).trim();
    const filename = text || decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
    const requiresPython = attributes.get('data-requires-python');
    const yanked = attributes.get('data-yanked');
    files.push({
      filename,
      url,
      hashes,
      requiresPython: typeof requiresPython === 'string' && requiresPython ? requiresPython : undefined,
      yanked: yanked === undefined ? false : yanked === true ? '' : yanked,
      coreMetadata: htmlMetadata(attributes.get('data-core-metadata') ?? attributes.get('data-dist-info-metadata')),
    });
  }
  return { name, files };
}
