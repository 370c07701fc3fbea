import { Feed } from 'feed';
import type { NoticeRecord } from '../store/notice-store';

/** Atom's type="html" text: the library wraps it in CDATA, and a reader decodes it as HTML. */
const html = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** How many notices a feed lists (newest first): enough for a reader polling daily. */
export const FEED_ENTRIES = 50;

export interface FeedOptions {
  /** Absolute URL the listing is served from (the API's or the static export's root), ending in `/`. */
  baseUrl: string;
  /** The feed of one layer; all layers when absent. */
  layerName?: string;
  /** When there are no notices yet: the feed's `updated`. */
  now?: Date;
}

/** Where a feed lives below the listing's root: `v1/feed.atom` (API) or `feed.atom` (static export). */
export function feedPath(layerName: string | undefined, api: boolean): string {
  const base = api ? 'v1/' : '';
  return layerName ? `${base}layers/${encodeURIComponent(layerName)}/feed.atom` : `${base}feed.atom`;
}

/**
 * The notices as an Atom 1.0 feed (RFC 4287) made with the `feed` library: one entry per notice, its id a stable
 * URN, its content the message people got by SNS. Anyone can follow it without an AWS account.
 */
export function renderFeed(notices: NoticeRecord[], options: FeedOptions & { selfPath: string }): string {
  const updated = notices.length > 0 ? new Date(notices.map((n) => n.time).sort().at(-1)!) : (options.now ?? new Date());
  const page = options.layerName ? `${options.baseUrl}?q=${encodeURIComponent(options.layerName)}` : options.baseUrl;
  const feed = new Feed({
    id: `urn:lamina:feed:${options.layerName ?? 'all'}`,
    title: options.layerName ? `lamina: ${options.layerName}` : 'lamina: layer notices',
    description: options.layerName
      ? `New, superseded and deleted versions of ${options.layerName}, with deletion dates and reminders`
      : 'New, superseded and deleted layer versions, deletion reminders and failed runs',
    link: page,
    updated,
    generator: 'lamina',
    // RFC 4287 4.1.1: a feed has an author unless every entry has one.
    author: { name: 'lamina' },
    feedLinks: { atom: `${options.baseUrl}${options.selfPath}` },
    copyright: 'Layer notices published by this lamina deployment',
  });
  for (const notice of notices) {
    feed.addItem({
      id: `urn:lamina:notice:${encodeURIComponent(notice.noticeId)}`,
      title: html(notice.title),
      link: notice.layerName ? `${options.baseUrl}?q=${encodeURIComponent(notice.layerName)}` : options.baseUrl,
      date: new Date(notice.time),
      description: html(notice.summary.split('\n')[0]),
      content: `<pre>${html(notice.summary)}</pre>`,
      category: [{ term: notice.noticeType, name: notice.noticeType }],
    });
  }
  return feed.atom1();
}
