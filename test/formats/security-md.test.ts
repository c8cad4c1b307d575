import fs from 'node:fs';
import MarkdownIt from 'markdown-it';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import { type SecurityMdInput, toSecurityMd } from '../../src/formats/security-md.js';

// Golden files: `UPDATE_GOLDEN=1 npx vitest run test/formats/security-md.test.ts` rewrites them;
// read them as a reporter would before committing.

const GOLDEN = new URL('../fixtures/formats/security-md/', import.meta.url);

/**
 * OpenSSF Scorecard's Security-Policy score of a SECURITY.md, re-implemented from ossf/scorecard:
 *
 * - checks/raw/security_policy.go (collectPolicyHits) reads the file line by line and collects
 *   three kinds of hits: web links (`http://` or `https://` and the URL characters after it),
 *   e-mail addresses (also spelt with `[at]`), and disclosure hints: a number of one to four
 *   digits ending a word, or "disclos" / "vuln" in any case. (Its `\b*` before the digits repeats
 *   an empty assertion, so it matches nothing and is left out here; JavaScript refuses it.)
 * - probes/securityPolicyContainsLinks: the file has linked content when it holds at least one
 *   link or address. Worth 6 points in checks/evaluation/security_policy.go.
 * - probes/securityPolicyContainsText: the file is more than its links: its size in bytes exceeds
 *   the length of its distinct links and addresses plus two bytes for each (the spaces around
 *   them). Worth 3 points.
 * - probes/securityPolicyContainsVulnerabilityDisclosure: more than one disclosure hint, counting
 *   every hit, repeated or not. Worth 1 point.
 * - checks/evaluation/security_policy.go adds the points up when a policy file is present (a
 *   SECURITY.md at the root, in .github/ or docs/ counts): 10 at most.
 */
function scorecardSecurityPolicy(content: string) {
  const URL_RE = /(http|https):\/\/[a-zA-Z0-9./?=_%:-]*/g;
  const EMAIL_RE = /\b[A-Za-z0-9._%+-]+(@|\\?\[at\\?\])[A-Za-z0-9.-]+\.[A-Za-z]{2,6}\b/g;
  const HINT_RE = /[0-9]{1,4}\b|disclos|vuln/gi;
  const urls = new Set<string>();
  const emails = new Set<string>();
  let hints = 0;
  // Go's bufio.ScanLines: split on LF, drop a CR before it; empty lines hold nothing.
  for (const line of content.split('\n').map((l) => l.replace(/\r$/, ''))) {
    for (const m of line.matchAll(URL_RE)) urls.add(m[0]);
    for (const m of line.matchAll(EMAIL_RE)) emails.add(m[0]);
    hints += [...line.matchAll(HINT_RE)].length;
  }
  const size = Buffer.byteLength(content, 'utf8');
  const linkedLength = [...urls, ...emails].reduce((sum, s) => sum + s.length, 0);
  const links = urls.size + emails.size > 0;
  const text = size > 1 && size > linkedLength + (urls.size + emails.size) * 2;
  const disclosure = hints > 1;
  return { score: (links ? 6 : 0) + (text ? 3 : 0) + (disclosure ? 1 : 0), links, text, disclosure, urls, emails };
}

const base = 'https://embargo.example/p/widget';

/** Everything set: e-mail, OpenPGP key, branches, a bounty, business days. */
const widget: SecurityMdInput = {
  projectName: 'Widget',
  reportFormUrl: `${base}/report`,
  securityEmail: 'security@widget.example.org',
  pgpKey: { url: `${base}/pgp-key.asc`, fingerprint: '569ebd078495e2148b63d16371d4b41caa88dbcd' },
  acknowledgeHours: 24,
  triageDays: 5,
  fixDays: { critical: 7, high: 30, medium: 90, low: 180 },
  dayMode: 'business',
  branches: [
    { name: '3.x', supported: true, endOfSupport: null },
    { name: '2.x', supported: true, endOfSupport: '2027-06-30' },
    { name: '1.x', supported: false, endOfSupport: '2025-12-31' },
  ],
  embargo: {
    maxDays: 14,
    distributorNoticeDays: 7,
    publicNoticeDays: 3,
    releaseHourUtc: 16,
    releaseWeekdays: ['mon', 'tue', 'wed', 'thu'],
  },
  bounty: {
    text: 'We pay for valid reports of vulnerabilities in supported versions, from 100 to 2,000 euros depending on severity.\n\nDuplicates are paid to the first reporter.',
    url: 'https://bounty.example/widget',
  },
  links: {
    advisories: `${base}/advisories`,
    distributors: `${base}/distributors`,
    securityTxt: `${base}/.well-known/security.txt`,
  },
};

/** The least a project sets: the report form only, no key, no branches, no bounty. */
const demo: SecurityMdInput = {
  ...widget,
  projectName: 'Demo Server',
  reportFormUrl: 'https://embargo.example/p/demo/report',
  securityEmail: null,
  pgpKey: null,
  dayMode: 'calendar',
  branches: [],
  embargo: { ...widget.embargo, publicNoticeDays: 0, releaseWeekdays: ['tue'] },
  bounty: null,
  links: {
    advisories: 'https://embargo.example/p/demo/advisories',
    distributors: 'https://embargo.example/p/demo/distributors',
    securityTxt: 'https://embargo.example/p/demo/.well-known/security.txt',
  },
};

const VARIANTS: [string, SecurityMdInput][] = [
  ['everything set', widget],
  ['the report form only', demo],
  ['a PGP key but no bounty', { ...widget, bounty: null }],
  ['a bounty but no PGP key or e-mail', { ...widget, pgpKey: null, securityEmail: null }],
  ['no branches', { ...widget, branches: [] }],
];

async function prettierPrinted(markdown: string): Promise<string> {
  const options = (await prettier.resolveConfig(new URL('x.md', GOLDEN))) ?? {};
  return prettier.format(markdown, { ...options, parser: 'markdown' });
}

describe('the Scorecard scorer of this test', () => {
  it('scores small files as the Go source does', () => {
    // One bare link: linked content, but the file is not longer than the link and its spaces.
    expect(scorecardSecurityPolicy('https://a.example\n').score).toBe(6);
    // Prose with no link: text, and two hints (a number and "vulnerabilities").
    expect(scorecardSecurityPolicy('Report vulnerabilities within 90 days.\n')).toMatchObject({ score: 4 });
    // An address in the [at] spelling counts; one hint is not enough for the last point.
    expect(scorecardSecurityPolicy('Write to security[at]example.com about it.\n')).toMatchObject({
      score: 9,
      disclosure: false,
    });
    // The e-mail pattern takes top-level domains of two to six letters only.
    expect(scorecardSecurityPolicy('Write to security@widget.example, please.\n').emails.size).toBe(0);
  });
});

describe('SECURITY.md', () => {
  it.each([
    ['widget', widget],
    ['demo', demo],
  ] as const)('%s matches its golden file', (name, input) => {
    const file = new URL(`${name}.md`, GOLDEN);
    const output = toSecurityMd(input);
    if (process.env.UPDATE_GOLDEN === '1') {
      fs.mkdirSync(GOLDEN, { recursive: true });
      fs.writeFileSync(file, output);
    }
    expect(output).toBe(fs.readFileSync(file, 'utf8'));
  });

  it.each(VARIANTS)('scores 10 on Scorecard Security-Policy with %s', (_label, input) => {
    const result = scorecardSecurityPolicy(toSecurityMd(input));
    expect(result).toMatchObject({ score: 10, links: true, text: true, disclosure: true });
  });

  it.each(VARIANTS)('is already as Prettier prints it, with %s', async (_label, input) => {
    const markdown = toSecurityMd(input);
    expect(await prettierPrinted(markdown)).toBe(markdown);
  });

  it('renders as CommonMark: headings, links, the branch and fix tables', () => {
    const html = new MarkdownIt().render(toSecurityMd(widget));
    expect(html.match(/<h2>/g)).toHaveLength(8);
    expect(html).toContain(`<a href="${base}/report">${base}/report</a>`);
    expect(html).toContain('<a href="mailto:security@widget.example.org">security@widget.example.org</a>');
    expect(html).toContain('<code>569E BD07 8495 E214 8B63 D163 71D4 B41C AA88 DBCD</code>');
    expect(html).toContain('<td>2.x</td>\n<td>Yes</td>\n<td>2027-06-30</td>');
    expect(html).toContain('<td>Critical</td>\n<td>7 business days</td>');
    expect(html).toContain('<strong>16:00 UTC</strong> from Monday to Thursday');
    const plain = new MarkdownIt().render(toSecurityMd(demo));
    expect(plain).not.toContain('<table>\n<thead>\n<tr>\n<th>Version</th>');
    expect(plain).toContain('on Tuesdays');
    expect(plain).toContain('has no bug bounty programme');
    expect(plain).not.toContain('OpenPGP');
  });

  it('prints what a project typed as text, never as markup', async () => {
    const hostile: SecurityMdInput = {
      ...widget,
      projectName: 'Evil <img src=x onerror=alert(1)> *star* _under_ `tick` [link](https://x.example) & | pipe',
      branches: [{ name: 'v1 | <b>', supported: true, endOfSupport: null }],
      bounty: { text: '- not a list\n\n1. not a list either\n\n# not a heading', url: null },
    };
    const markdown = toSecurityMd(hostile);
    const html = new MarkdownIt({ html: true }).render(markdown);
    expect(html).not.toMatch(/<img|<b>|<em>star|<a href="https:\/\/x\.example"/);
    expect(html).toContain('<h1>Security policy for Evil &lt;img src=x onerror=alert(1)&gt; *star* _under_');
    expect(html).toContain('<td>v1 | &lt;b&gt;</td>\n<td>Yes</td>');
    expect(html).not.toMatch(/<li>not a list|<ol|<h1>not a heading/);
    expect(await prettierPrinted(markdown)).toBe(markdown);
    expect(scorecardSecurityPolicy(markdown).score).toBe(10);
  });

  it('refuses settings it cannot print correctly', () => {
    expect(() => toSecurityMd({ ...widget, reportFormUrl: '/report' })).toThrow(/absolute URL/);
    expect(() => toSecurityMd({ ...widget, reportFormUrl: 'javascript:alert(1)' })).toThrow(/http\(s\) URL/);
    expect(() => toSecurityMd({ ...widget, securityEmail: 'security at widget' })).toThrow(/e-mail address/);
    expect(() => toSecurityMd({ ...widget, pgpKey: { url: `${base}/k.asc`, fingerprint: 'ABCD' } })).toThrow(
      /fingerprint/,
    );
    expect(() =>
      toSecurityMd({ ...widget, branches: [{ name: '1.x', supported: false, endOfSupport: '2025' }] }),
    ).toThrow(/YYYY-MM-DD/);
    expect(() => toSecurityMd({ ...widget, acknowledgeHours: 1.5 })).toThrow(/whole number/);
  });
});
