import fs from 'node:fs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { type AtomEntry, type AtomFeed, atomFeed, escapeXml } from '../../src/formats/atom.js';

// The golden file was written by hand from RFC 4287 (section 4: atom:feed, atom:entry, atom:link,
// Text constructs, Date constructs), not copied from the output.

const golden = fs.readFileSync(new URL('../fixtures/atom/announcements.xml', import.meta.url), 'utf8');

const BASE = 'https://embargo.example.org/p/widget';

const release: AtomEntry = {
  id: 'urn:uuid:6f1c2b1e-4f0a-4c39-9d59-1b7e3c5a9e01',
  title: 'Widget 2.4.2: fix for <parser> & "friends"',
  link: `${BASE}/announcements/6f1c2b1e-4f0a-4c39-9d59-1b7e3c5a9e01?from=feed&v=1`,
  published: '2026-03-05T16:00:00.000Z',
  updated: '2026-03-05T16:00:00.000Z',
  categories: [{ term: 'release', label: 'Security release & advisory' }],
  summary: 'Security release',
  contentHtml: '<h2>Who is affected</h2>\n<p>Servers &amp; proxies</p>\n',
};

const feed: AtomFeed = {
  id: `${BASE}/announcements.atom`,
  title: 'Widget: security announcements & notices',
  subtitle: 'Fix-forthcoming notices and security releases of "Widget"',
  selfLink: `${BASE}/announcements.atom`,
  alternateLink: `${BASE}/announcements`,
  updated: '2026-03-05T16:00:00.000Z',
  author: { name: 'Widget security team', uri: BASE },
  entries: [
    release,
    {
      id: 'urn:uuid:6f1c2b1e-4f0a-4c39-9d59-1b7e3c5a9e02',
      title: 'Security fix forthcoming on 2026-03-05',
      link: `${BASE}/announcements/6f1c2b1e-4f0a-4c39-9d59-1b7e3c5a9e02`,
      published: new Date('2026-02-26T16:00:00Z'),
      updated: '2026-02-27T09:30:15.250Z',
      // A control character (BEL) cannot be carried by XML 1.0 at all: it is dropped.
      summary: "It's coming\u0007 soon",
    },
  ],
};

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  isArray: (name) => name === 'entry' || name === 'link',
  trimValues: false,
});

describe('the Atom feed', () => {
  it('matches the golden file written from RFC 4287', () => {
    expect(atomFeed(feed)).toBe(golden);
  });

  it('parses back with an XML parser to the values given', () => {
    const xml = atomFeed(feed);
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = parser.parse(xml).feed;
    expect(doc['@xmlns']).toBe('http://www.w3.org/2005/Atom');
    expect(doc.title['#text']).toBe(feed.title);
    expect(doc.subtitle['#text']).toBe(feed.subtitle);
    expect(doc.link.map((l: Record<string, string>) => [l['@rel'], l['@href']])).toEqual([
      ['self', feed.selfLink],
      ['alternate', feed.alternateLink],
    ]);
    expect(doc.entry).toHaveLength(2);
    const [first, second] = doc.entry;
    expect(first.title['#text']).toBe('Widget 2.4.2: fix for <parser> & "friends"');
    expect(first.link[0]['@href']).toBe(release.link);
    expect(first.category['@label']).toBe('Security release & advisory');
    // type="html": the reader gets the HTML back as text, once unescaped.
    expect(first.content['@type']).toBe('html');
    expect(first.content['#text']).toBe(release.contentHtml);
    expect(second.summary['#text']).toBe("It's coming soon");
    expect(second.content).toBeUndefined();
    expect(second.updated).toBe('2026-02-27T09:30:15Z');
  });

  it('cannot be broken out of by any value', () => {
    const hostile = '</title><entry><id>x</id></entry><![CDATA[ ]]> \u0000\uFFFE\uD800 &amp; --> \'"';
    const xml = atomFeed({
      ...feed,
      title: hostile,
      author: { name: hostile, email: hostile },
      entries: [{ ...release, title: hostile, link: `${BASE}/"><x>`, contentHtml: hostile }],
    });
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = parser.parse(xml).feed;
    const clean = hostile.replace(/[\u0000\uFFFE\uD800]/g, '');
    expect(doc.title['#text']).toBe(clean);
    expect(doc.author.name).toBe(clean);
    expect(doc.entry).toHaveLength(1);
    expect(doc.entry[0].title['#text']).toBe(clean);
    expect(doc.entry[0].content['#text']).toBe(clean);
    expect(doc.entry[0].link[0]['@href']).toBe(`${BASE}/"><x>`);
  });

  it('escapes the five XML specials and keeps other text as it is', () => {
    expect(escapeXml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    expect(escapeXml('naïve 🔐 text\ttab\nline')).toBe('naïve 🔐 text\ttab\nline');
  });

  it('refuses an entry with neither summary nor content, and a date that is not one', () => {
    const bare = { id: 'urn:uuid:1', title: 't', link: BASE, published: '2026-01-01T00:00:00Z', updated: 'x' };
    expect(() => atomFeed({ ...feed, entries: [{ ...bare, summary: 's' }] })).toThrow(RangeError);
    expect(() => atomFeed({ ...feed, entries: [{ ...bare, updated: bare.published }] })).toThrow(TypeError);
  });

  it('writes a feed with no entries', () => {
    const doc = parser.parse(atomFeed({ ...feed, entries: [] })).feed;
    expect(doc.entry).toBeUndefined();
    expect(doc.updated).toBe('2026-03-05T16:00:00Z');
  });
});
