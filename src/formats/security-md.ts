// A project's SECURITY.md, written from its settings for the people who read it: a reporter who
// found something, a user who wants to know what is supported, a distributor who wants early
// notice. It is plain CommonMark (GitHub renders it as is) and stable under Prettier, so the file
// can be committed to a repository that formats its Markdown. OpenSSF Scorecard's Security-Policy
// check gives it full marks: it holds links and an e-mail address, text around them, and words of
// disclosure with numbers (see test/formats/security-md.test.ts, which re-implements that check).

import type { EmbargoPolicy, Weekday } from '../domain/cases/embargo-policy.js';
import type { ClockSeverity } from '../domain/severity/deadline-clock.js';
import type { DayMode } from '../domain/severity/severity-policy.js';

export interface SecurityMdInput {
  projectName: string;
  /** The private report form (absolute URL): the one channel every project has. */
  reportFormUrl: string;
  /** The security contact address (security@...), or null when reports come through the form only. */
  securityEmail: string | null;
  /** The project's OpenPGP key for encrypted reports, when it has one. */
  pgpKey: { url: string; fingerprint: string } | null;
  /** The acknowledgement target promised to reporters. */
  acknowledgeHours: number;
  /** Days until the reporter hears whether the report is confirmed and how severe it is. */
  triageDays: number;
  /** Days from the opening of a case to its fix, by effective severity (the severity policy). */
  fixDays: Record<ClockSeverity, number>;
  /** How those days are counted. */
  dayMode: DayMode;
  /** The project's release branches, newest first as the project lists them; may be empty. */
  branches: { name: string; supported: boolean; endOfSupport: string | null }[];
  embargo: Pick<
    EmbargoPolicy,
    'maxDays' | 'distributorNoticeDays' | 'publicNoticeDays' | 'releaseHourUtc' | 'releaseWeekdays'
  >;
  /** The bounty programme, if any: plain text, and where its rules are. */
  bounty: { text: string; url: string | null } | null;
  /** Absolute URLs of the project's public pages. */
  links: { advisories: string; distributors: string; securityTxt: string };
}

const DAY_NAMES: Record<Weekday, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};
/** Monday first, so that "Monday to Thursday" reads as a run. */
const WEEK = Object.keys(DAY_NAMES) as Weekday[];
const SEVERITIES: ClockSeverity[] = ['critical', 'high', 'medium', 'low'];

/** Text made literal in CommonMark: every character that could start markup is backslash-escaped. */
function text(value: string): string {
  return value
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\\`*_[\]<>|~&!#]/g, '\\$&');
}

/** A paragraph of given text, escaped so that it cannot open a list, a heading or a quote. */
function paragraph(value: string): string {
  return text(value)
    .replace(/^([+-])/, '\\$1')
    .replace(/^(\d+)([.)])/, '$1\\$2');
}

function url(value: string, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new RangeError(`SECURITY.md: ${what} must be an absolute URL, not ${JSON.stringify(value)}.`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new RangeError(`SECURITY.md: ${what} must be an http(s) URL, not ${JSON.stringify(value)}.`);
  }
  // The serialised URL percent-encodes spaces and angle brackets, so the autolink cannot break.
  return `<${parsed.href}>`;
}

function email(value: string): string {
  if (!/^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/.test(value)) {
    throw new RangeError(`SECURITY.md: ${JSON.stringify(value)} is not an e-mail address.`);
  }
  return `<${value}>`;
}

/** A fingerprint as OpenPGP tools print it: upper-case hex in groups of four. */
function fingerprint(value: string): string {
  const hex = value.replace(/\s+/g, '').toUpperCase();
  if (!/^(?:[0-9A-F]{40}|[0-9A-F]{64})$/.test(hex)) {
    throw new RangeError(`SECURITY.md: ${JSON.stringify(value)} is not a v4 or v6 OpenPGP fingerprint.`);
  }
  return hex.match(/.{4}/g)?.join(' ') ?? hex;
}

function count(n: number, unit: string, what: string): string {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`SECURITY.md: ${what} must be a whole number.`);
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** "from Monday to Thursday" for a run of days, "on Mondays, Wednesdays and Fridays" otherwise. */
function weekdays(days: readonly Weekday[]): string {
  const indexes = [...new Set(days)].map((d) => WEEK.indexOf(d)).sort((a, b) => a - b);
  const names = indexes.map((i) => DAY_NAMES[WEEK[i] as Weekday]);
  const run = indexes.every((day, i) => i === 0 || day === (indexes[i - 1] ?? -2) + 1);
  if (names.length > 2 && run) return `from ${names[0]} to ${names.at(-1)}`;
  const plural = names.map((n) => `${n}s`);
  if (plural.length <= 1) return `on ${plural[0] ?? 'any day'}`;
  return `on ${plural.slice(0, -1).join(', ')} and ${plural.at(-1)}`;
}

/** A Markdown table with its columns padded, as Prettier prints one. */
function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)];
}

function reporting(input: SecurityMdInput, name: string): string[] {
  const form = url(input.reportFormUrl, 'reportFormUrl');
  const only = input.securityEmail === null && input.pgpKey === null;
  const channels = [`- **Private report form**${only ? '' : ' (preferred)'}: ${form}`];
  if (input.securityEmail !== null) channels.push(`- **Email**: ${email(input.securityEmail)}`);
  if (input.pgpKey !== null) {
    const use = input.securityEmail !== null ? 'to encrypt your email' : 'to encrypt what you send us';
    channels.push(
      `- **OpenPGP key**, ${use}: ${url(input.pgpKey.url, 'pgpKey.url')}, fingerprint \`${fingerprint(input.pgpKey.fingerprint)}\``,
    );
  }
  return [
    '## Reporting a vulnerability',
    '',
    `**Please do not report a security vulnerability in a public issue, pull request or discussion.** Tell us privately instead, so that we can fix it before attackers learn about it:`,
    '',
    ...channels,
    '',
    '### What to include',
    '',
    `- The version of ${name} you tested, or the commit, and how it was configured.`,
    '- What the vulnerability is and what an attacker could do with it.',
    '- The steps to reproduce it, or a proof of concept.',
    '- Any workaround or fix you know of.',
    '- How you would like to be credited, or that you would rather not be named.',
    '',
    'A partial report is welcome: we will ask if we need more.',
  ];
}

function expectations(input: SecurityMdInput): string[] {
  const unit = input.dayMode === 'business' ? 'business day' : 'day';
  const rows = SEVERITIES.map((s) => [s[0]?.toUpperCase() + s.slice(1), count(input.fixDays[s], unit, `fixDays.${s}`)]);
  return [
    '## What to expect',
    '',
    `- We acknowledge your report within **${count(input.acknowledgeHours, 'hour', 'acknowledgeHours')}**. If you have not heard from us by then, please write again.`,
    `- Within **${count(input.triageDays, unit, 'triageDays')}** we tell you whether we could confirm the vulnerability and how severe we rate it.`,
    '- We keep you informed while we work on the fix, and we agree the disclosure date with you.',
    '- We aim to release a fix within these times after we confirm the report:',
    '',
    ...table(['Severity', 'Fix released within'], rows),
    '',
    input.dayMode === 'business' ? 'Business days are Monday to Friday.' : 'Days are calendar days, weekends included.',
  ];
}

function supported(input: SecurityMdInput, name: string): string[] {
  if (input.branches.length === 0) {
    return [
      '## Supported versions',
      '',
      `We fix security vulnerabilities in the latest release of ${name}. If you can, please check that the problem is still there in that release before you report it.`,
    ];
  }
  const rows = input.branches.map((b) => {
    if (b.endOfSupport !== null && !/^\d{4}-\d{2}-\d{2}$/.test(b.endOfSupport)) {
      throw new RangeError(`SECURITY.md: endOfSupport must be a date as YYYY-MM-DD, not ${b.endOfSupport}.`);
    }
    const end = b.endOfSupport ?? (b.supported ? 'Not yet announced' : 'Ended');
    return [text(b.name), b.supported ? 'Yes' : 'No', end];
  });
  return [
    '## Supported versions',
    '',
    'We fix security vulnerabilities in the supported release branches:',
    '',
    ...table(['Version', 'Supported', 'End of support'], rows),
    '',
    'If you use a version that is no longer supported, please upgrade. Tell us all the same if you find a vulnerability in it: it may affect a supported version too.',
  ];
}

function disclosure(input: SecurityMdInput): string[] {
  const e = input.embargo;
  if (!Number.isInteger(e.releaseHourUtc) || e.releaseHourUtc < 0 || e.releaseHourUtc > 23) {
    throw new RangeError('SECURITY.md: releaseHourUtc must be an hour from 0 to 23.');
  }
  const hour = `${String(e.releaseHourUtc).padStart(2, '0')}:00 UTC`;
  const items = [
    '- Please keep the vulnerability confidential until we publish the advisory; we agree the date with you.',
    `- We tell distributors about the vulnerability under embargo, usually **${count(e.distributorNoticeDays, 'day', 'distributorNoticeDays')}** before the release. An embargo never lasts longer than **${count(e.maxDays, 'day', 'maxDays')}**.`,
  ];
  if (e.publicNoticeDays > 0) {
    items.push(
      `- **${count(e.publicNoticeDays, 'day', 'publicNoticeDays')}** before the release we announce that a fix is coming, with its date and severity but no details, so that you can plan the upgrade.`,
    );
  }
  items.push(
    `- We release fixes at **${hour}** ${weekdays(e.releaseWeekdays)}, so that you can plan for them.`,
    '- If the vulnerability becomes public or is exploited before the planned date, we release the fix as soon as we can.',
    `- We publish an advisory for every fixed vulnerability, in the standard formats (OSV, CVE, CSAF and CycloneDX), with a CVE ID when one is assigned: ${url(input.links.advisories, 'links.advisories')}`,
  );
  return [
    '## Disclosure policy',
    '',
    'We follow coordinated disclosure: we fix the vulnerability in private, then publish the fix and the advisory together.',
    '',
    ...items,
  ];
}

function distributors(input: SecurityMdInput, name: string): string[] {
  return [
    '## Embargo policy for distributors',
    '',
    `Operating system distributions and vendors that ship ${name} to their users can hear about a vulnerability before it is public, so that their fixed packages are ready on release day. To join, you must:`,
    '',
    `- ship ${name} to users in a distribution or product that is actively maintained;`,
    '- have a security contact that handles our notices confidentially;',
    '- keep what we send confidential until the public release, sharing it only with the people who need it to prepare the fix;',
    '- not publish or ship fixed packages before the release time.',
    '',
    `Ask to join on our distributors page: ${url(input.links.distributors, 'links.distributors')}. If an embargo is broken, we release at once and may remove the member who broke it.`,
  ];
}

/** The SECURITY.md of a project; throws RangeError on a setting it cannot print correctly. */
export function toSecurityMd(input: SecurityMdInput): string {
  const name = text(input.projectName);
  const bounty = input.bounty
    ? [
        ...input.bounty.text
          .split(/\n\s*\n/)
          .filter((p) => p.trim() !== '')
          .flatMap((p) => [paragraph(p), '']),
        ...(input.bounty.url ? [`The rules and rewards: ${url(input.bounty.url, 'bounty.url')}`] : []),
      ]
    : [
        `${name} has no bug bounty programme, so we cannot pay for reports. We are grateful for every report all the same, and we credit you in the advisory.`,
      ];
  const lines = [
    `# Security policy for ${name}`,
    '',
    `Thank you for helping keep ${name} and its users safe. This page explains how to report a vulnerability to us privately, what happens after you report it, and how we disclose the fix.`,
    '',
    ...reporting(input, name),
    '',
    ...expectations(input),
    '',
    ...supported(input, name),
    '',
    ...disclosure(input),
    '',
    ...distributors(input, name),
    '',
    '## Credits',
    '',
    `We thank every reporter by name in the advisory, unless you ask us not to. Our advisories, and the people who reported them, are listed at ${url(input.links.advisories, 'links.advisories')}.`,
    '',
    '## Bug bounty',
    '',
    ...bounty,
    '',
    '## See also',
    '',
    `- Our security.txt (RFC 9116): ${url(input.links.securityTxt, 'links.securityTxt')}`,
    `- Our security advisories: ${url(input.links.advisories, 'links.advisories')}`,
  ];
  // A bounty that ends on its own paragraph leaves an empty line before the next heading already.
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n')}\n`;
}
