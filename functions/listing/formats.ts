import { badRequest, type ListingRequest, type ListingResponse } from './http';
import type { Column } from './items';
import { LISTING_FORMATS, type ListingFormat } from './known-values';

/** A page of a listing, before it is rendered in the format the client asked for. */
export interface ListingPage<T> {
  /** Human title of the listing (HTML heading). */
  title: string;
  /** The download file name for CSV, without extension. */
  filename: string;
  columns: Column<T>[];
  items: T[];
  /**
   * The items already rendered as JSON, in order (latest pointers store theirs): the JSON format sends these as
   * they are, and `items` may then be empty (CSV and HTML are given the items themselves).
   */
  json?: string[];
  /** Extra top-level JSON fields (e.g. the region or layer name the listing is of). */
  meta?: Record<string, unknown>;
  nextCursor?: string;
  /** Where the next page is, for the HTML rendering's link. */
  nextHref?: string;
}

const MEDIA_TYPES: Record<string, ListingFormat> = {
  'application/json': 'json',
  'text/csv': 'csv',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
};

/**
 * The format of a response: `format=` when given (an unknown one is a 400), otherwise the most preferred type of
 * the Accept header lamina can produce, otherwise JSON.
 */
export function negotiateFormat(request: ListingRequest): ListingFormat {
  const asked = request.query.get('format');
  if (asked !== null) {
    if (!(LISTING_FORMATS as readonly string[]).includes(asked)) {
      throw badRequest('InvalidFormat', `format ${JSON.stringify(asked)} is not one lamina produces`, LISTING_FORMATS);
    }
    return asked as ListingFormat;
  }
  const accept = request.headers.accept;
  if (!accept) return 'json';
  let best: { format: ListingFormat; q: number; order: number } | undefined;
  accept.split(',').forEach((range, order) => {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    const qParam = params.find((param) => param.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0) return;
    const format = type === '*/*' || type === 'application/*' ? 'json' : MEDIA_TYPES[type];
    if (!format) return;
    // Equal q: an explicit type beats a wildcard, then the earlier one wins.
    const rank = q + (type.includes('*') ? 0 : 0.0001);
    if (!best || rank > best.q) best = { format, q: rank, order };
  });
  return best?.format ?? 'json';
}

/** A CSV cell (RFC 4180), defused against spreadsheet formula injection. */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** CSV with a header row of the column keys, CRLF line ends. */
export function renderCsv<T>(columns: Column<T>[], items: T[]): string {
  const rows = [columns.map((column) => column.key), ...items.map((item) => columns.map((column) => column.value(item)))];
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A plain, accessible HTML table of one page of a listing. */
export function renderHtmlTable<T>(page: ListingPage<T>): string {
  const head = page.columns.map((column) => `<th scope="col">${escapeHtml(column.title)}</th>`).join('');
  const rows = page.items
    .map((item) => `<tr>${page.columns.map((column) => `<td>${escapeHtml(column.value(item))}</td>`).join('')}</tr>`)
    .join('\n');
  const next = page.nextHref ? `<p><a rel="next" href="${escapeHtml(page.nextHref)}">Next page</a></p>` : '';
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:1.5rem;color:#111;background:#fff}table{border-collapse:collapse}
th,td{border:1px solid #888;padding:.3rem .5rem;text-align:left;vertical-align:top}td{word-break:break-all}a{color:#0645ad}</style>
</head>
<body>
<main>
<h1>${escapeHtml(page.title)}</h1>
<p>${page.items.length} item${page.items.length === 1 ? '' : 's'} on this page.</p>
<table>
<caption>${escapeHtml(page.title)}</caption>
<thead><tr>${head}</tr></thead>
<tbody>
${rows}
</tbody>
</table>
${next}
</main>
</body>
</html>
`;
}

/**
 * The JSON body of a page whose items are rendered already: the same text JSON.stringify makes of the page, with
 * each item's JSON spliced in where the `items` array goes.
 */
function jsonWithItems<T>(page: ListingPage<T>, items: string[]): string {
  const head = JSON.stringify({ ...page.meta, count: items.length, items: 0, nextCursor: page.nextCursor ?? null });
  // The last `"items":0,"nextCursor":` is the key's: a string value before it would have its quotes escaped, and
  // only the cursor (base64url) follows it.
  const at = head.lastIndexOf('"items":0,"nextCursor":');
  return `${head.slice(0, at)}"items":[${items.join(',')}]${head.slice(at + '"items":0'.length)}`;
}

/** Renders a listing page in a format: JSON `{...meta, items, nextCursor}`, CSV (a download) or an HTML table. */
export function renderListing<T>(page: ListingPage<T>, format: ListingFormat): ListingResponse {
  switch (format) {
    case 'csv':
      return {
        status: 200,
        headers: {
          'content-type': 'text/csv; charset=utf-8; header=present',
          'content-disposition': `attachment; filename="${page.filename}.csv"`,
          ...(page.nextCursor ? { 'x-next-cursor': page.nextCursor } : {}),
        },
        body: renderCsv(page.columns, page.items),
      };
    case 'html':
      return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: renderHtmlTable(page) };
    case 'json':
      return {
        status: 200,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: page.json ? jsonWithItems(page, page.json) : JSON.stringify({ ...page.meta, count: page.items.length, items: page.items, nextCursor: page.nextCursor ?? null }),
      };
  }
}
