// An Atom 1.0 feed (RFC 4287) from plain data, as one XML document. Every value given is text and
// is escaped here, including the HTML of an entry's content (carried as type="html", so a reader
// unescapes it once and then sanitises it as HTML); characters XML 1.0 cannot carry at all are
// dropped, so no value can make the document ill-formed or add markup of its own.

export interface AtomPerson {
  name: string;
  uri?: string;
  email?: string;
}

export interface AtomEntry {
  /** A permanent IRI for the entry (e.g. urn:uuid:...): readers use it to tell entries apart. */
  id: string;
  title: string;
  /** The entry's own page (rel="alternate", text/html). */
  link: string;
  /** RFC 3339 instants; an ISO string or a Date. */
  published: string | Date;
  updated: string | Date;
  /** atom:category: a machine term and its human label. */
  categories?: readonly { term: string; label?: string }[];
  /** Plain text. An entry needs a summary, its HTML content, or both. */
  summary?: string;
  /** HTML, already safe to show (rendered Markdown). */
  contentHtml?: string;
}

export interface AtomFeed {
  /** A permanent IRI for the feed. */
  id: string;
  title: string;
  subtitle?: string;
  /** Where this feed is served (rel="self"). */
  selfLink: string;
  /** The HTML page the feed mirrors (rel="alternate"). */
  alternateLink: string;
  updated: string | Date;
  /** Required by RFC 4287 at the feed level unless every entry names its own. */
  author: AtomPerson;
  entries: readonly AtomEntry[];
}

// XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]. The u flag
// makes a lone surrogate one code point, so it is matched (and dropped) too.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text escaped for an XML element or a double-quoted attribute. */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML_CHAR, '').replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** An RFC 3339 date-time in UTC, to the second (fractions are noise in a feed). */
function date(value: string | Date): string {
  const at = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(at.getTime())) throw new RangeError(`Not a date: ${String(value)}`);
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const element = (indent: string, name: string, text: string, attributes = '') =>
  `${indent}<${name}${attributes}>${escapeXml(text)}</${name}>`;

const link = (indent: string, rel: string, type: string, href: string) =>
  `${indent}<link rel="${rel}" type="${type}" href="${escapeXml(href)}"/>`;

function author(indent: string, p: AtomPerson): string[] {
  const inner = `${indent}  `;
  return [
    `${indent}<author>`,
    element(inner, 'name', p.name),
    ...(p.uri ? [element(inner, 'uri', p.uri)] : []),
    ...(p.email ? [element(inner, 'email', p.email)] : []),
    `${indent}</author>`,
  ];
}

function entry(e: AtomEntry): string[] {
  if (e.summary === undefined && e.contentHtml === undefined) {
    throw new TypeError(`The entry ${e.id} has neither a summary nor content.`);
  }
  const i = '    ';
  return [
    '  <entry>',
    element(i, 'id', e.id),
    element(i, 'title', e.title, ' type="text"'),
    link(i, 'alternate', 'text/html', e.link),
    element(i, 'published', date(e.published)),
    element(i, 'updated', date(e.updated)),
    ...(e.categories ?? []).map(
      (c) =>
        `${i}<category term="${escapeXml(c.term)}"${c.label !== undefined ? ` label="${escapeXml(c.label)}"` : ''}/>`,
    ),
    ...(e.summary !== undefined ? [element(i, 'summary', e.summary, ' type="text"')] : []),
    ...(e.contentHtml !== undefined ? [element(i, 'content', e.contentHtml, ' type="html"')] : []),
    '  </entry>',
  ];
}

/** The feed as an XML document (UTF-8, ending with a newline). */
export function atomFeed(feed: AtomFeed): string {
  const i = '  ';
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    element(i, 'id', feed.id),
    element(i, 'title', feed.title, ' type="text"'),
    ...(feed.subtitle !== undefined ? [element(i, 'subtitle', feed.subtitle, ' type="text"')] : []),
    link(i, 'self', 'application/atom+xml', feed.selfLink),
    link(i, 'alternate', 'text/html', feed.alternateLink),
    element(i, 'updated', date(feed.updated)),
    ...author(i, feed.author),
    ...feed.entries.flatMap(entry),
    '</feed>',
  ];
  return `${lines.join('\n')}\n`;
}
