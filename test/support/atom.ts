// fast-xml-parser (the AWS SDK's XML parser) checks well-formedness; the Atom rules are checked below.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const xml = require('fast-xml-parser') as { validate(text: string): true | { err: { msg: string } }; parse(text: string, options: object): any };

export interface AtomEntry {
  id: string;
  title: string;
  updated: string;
  category: string;
  content: string;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const text = (value: any): string => (typeof value === 'object' && value !== null ? String(value['#text'] ?? '') : String(value ?? ''));
const asList = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/**
 * Parses an Atom 1.0 document, throwing on what RFC 4287 requires and it lacks: the namespace; the feed's id, title,
 * updated and author (or an author in every entry); each entry's id, title, updated (RFC 3339 dates), and a link or
 * content; unique entry ids.
 */
export function parseAtom(document: string): { id: string; title: string; selfLink?: string; entries: AtomEntry[] } {
  const valid = xml.validate(document);
  if (valid !== true) throw new Error(`not well-formed XML: ${valid.err.msg}`);
  const parsed = xml.parse(document, { ignoreAttributes: false, attributeNamePrefix: '@', cdataTagName: false });
  const feed = parsed.feed;
  if (!feed) throw new Error('no <feed> root element');
  if (feed['@xmlns'] !== 'http://www.w3.org/2005/Atom') throw new Error(`feed namespace is ${feed['@xmlns']}, not Atom's`);
  for (const field of ['id', 'title', 'updated']) if (!text(feed[field])) throw new Error(`the feed has no ${field}`);
  if (!RFC3339.test(text(feed.updated))) throw new Error(`feed updated ${text(feed.updated)} is not an RFC 3339 date`);
  const entries = asList<any>(feed.entry);
  if (!feed.author?.name && entries.some((entry) => !entry.author?.name)) throw new Error('neither the feed nor every entry has an author');
  const ids = new Set<string>();
  const result = entries.map((entry) => {
    for (const field of ['id', 'title', 'updated']) if (!text(entry[field])) throw new Error(`an entry has no ${field}`);
    if (!RFC3339.test(text(entry.updated))) throw new Error(`entry updated ${text(entry.updated)} is not an RFC 3339 date`);
    if (!entry.link && !entry.content) throw new Error('an entry has neither a link nor content');
    if (ids.has(text(entry.id))) throw new Error(`entry id ${text(entry.id)} is repeated`);
    ids.add(text(entry.id));
    return { id: text(entry.id), title: text(entry.title), updated: text(entry.updated), category: String(asList<any>(entry.category)[0]?.['@term'] ?? ''), content: text(entry.content) };
  });
  const selfLink = asList<any>(feed.link).find((link) => link['@rel'] === 'self')?.['@href'];
  return { id: text(feed.id), title: text(feed.title), selfLink, entries: result };
}
