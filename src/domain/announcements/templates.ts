import { DomainError } from '../../errors.js';
import type { AnnouncementKind } from './announcements.js';

/*
 * Announcement templates: Markdown with {{name}} placeholders and sections {{#name}}...{{/name}}
 * (shown when name has a value) and {{^name}}...{{/name}} (shown when it has none). Each kind may use
 * only its own variables: a "fix forthcoming" template cannot name the summary or the details, which
 * are embargoed until the release, so no wording of a project can leak them early.
 */

export interface AnnouncementTemplate {
  subject: string;
  body: string;
}

const PUBLIC = ['project', 'releaseAt', 'severity', 'components', 'advisoriesUrl', 'listsUrl'] as const;

export const TEMPLATE_VARIABLES: Record<AnnouncementKind, readonly string[]> = {
  fix_forthcoming: PUBLIC,
  update: [...PUBLIC, 'previousReleaseAt', 'change'],
  release: [
    ...PUBLIC,
    'publicId',
    'advisoryUrl',
    'summary',
    'details',
    'affected',
    'affectedVersions',
    'howToCheck',
    'fixedVersions',
    'upgrade',
    'mitigations',
    'detection',
    'credits',
  ],
};

/** What each variable holds, for the settings page. */
export const VARIABLE_WORDS: Record<string, string> = {
  project: "the project's name",
  releaseAt: 'the release time, e.g. 2026-03-12 16:00 UTC',
  severity: 'the effective severity, e.g. high (CVSS 3.1 8.1)',
  components: 'the affected packages and branches, one per line',
  advisoriesUrl: "the project's public advisories page",
  listsUrl: 'where to subscribe to the lists',
  previousReleaseAt: 'the release time before it moved',
  change: 'one sentence on what changed',
  publicId: 'the advisory id, e.g. DEMO-2026-0001',
  advisoryUrl: "the advisory's public page",
  summary: "the advisory's summary",
  details: 'the details (Markdown)',
  affected: 'who is affected (Markdown)',
  affectedVersions: 'the affected versions, one per line',
  howToCheck: 'how to check (Markdown)',
  fixedVersions: 'the fixed version of each branch and package, one per line',
  upgrade: 'how to upgrade (Markdown)',
  mitigations: 'mitigations (Markdown)',
  detection: 'how to detect exploitation (Markdown)',
  credits: 'the credits, one per line',
};

export const DEFAULT_TEMPLATES: Record<AnnouncementKind, AnnouncementTemplate> = {
  fix_forthcoming: {
    subject: '{{project}}: security fix forthcoming on {{releaseAt}}',
    body: `The {{project}} security team will release a fix for a vulnerability of {{severity}} severity on **{{releaseAt}}**.

Affected components:

{{components}}

No details are given before the release. Please plan to upgrade on that day: the advisory will then say who is affected, how to check, the fixed versions and how to upgrade.

Advisories: {{advisoriesUrl}}`,
  },
  update: {
    subject: '{{project}}: the security release moves to {{releaseAt}}',
    body: `{{change}}

The fix is now planned for **{{releaseAt}}**{{#previousReleaseAt}} (it was announced for {{previousReleaseAt}}){{/previousReleaseAt}}.

Affected components:

{{components}}

Advisories: {{advisoriesUrl}}`,
  },
  release: {
    subject: '{{project}} security advisory {{publicId}}: {{summary}}',
    body: `# {{summary}}

Advisory {{publicId}}, severity {{severity}}: {{advisoryUrl}}

## Who is affected

{{#affected}}{{affected}}{{/affected}}{{^affected}}Anyone running an affected version.{{/affected}}

Affected versions:

{{affectedVersions}}

## How to check

{{#howToCheck}}{{howToCheck}}{{/howToCheck}}{{^howToCheck}}Compare the version you run with the affected versions above.{{/howToCheck}}

## Fixed versions

{{fixedVersions}}

## How to upgrade

{{#upgrade}}{{upgrade}}{{/upgrade}}{{^upgrade}}Upgrade to the fixed version of your branch.{{/upgrade}}

## Mitigations

{{#mitigations}}{{mitigations}}{{/mitigations}}{{^mitigations}}None known: upgrade.{{/mitigations}}

## How to detect exploitation

{{#detection}}{{detection}}{{/detection}}{{^detection}}No indicator of exploitation is known.{{/detection}}

## Details

{{details}}

## Credits

{{#credits}}{{credits}}{{/credits}}{{^credits}}The {{project}} security team.{{/credits}}`,
  },
};

const TAG = /\{\{\s*([#^/]?)\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g;
const SUBJECT_MAX = 300;
const BODY_MAX = 20_000;

function invalid(field: string, message: string): never {
  throw new DomainError('VALIDATION_FAILED', message, { field });
}

/** Checks a template for a kind: known variables only, sections closed in order. VALIDATION_FAILED names the part. */
export function checkTemplate(kind: AnnouncementKind, template: AnnouncementTemplate): AnnouncementTemplate {
  const subject = template.subject.replace(/\s+/g, ' ').trim();
  const body = template.body.replace(/\r\n?/g, '\n').trim();
  if (!subject || subject.length > SUBJECT_MAX) invalid('subject', `The subject is 1 to ${SUBJECT_MAX} characters.`);
  if (!body || body.length > BODY_MAX) invalid('body', `The text is 1 to ${BODY_MAX} characters.`);
  const allowed = TEMPLATE_VARIABLES[kind];
  for (const [field, text] of [
    ['subject', subject],
    ['body', body],
  ] as const) {
    const open: string[] = [];
    for (const match of text.matchAll(TAG)) {
      const [, mark, name = ''] = match;
      if (!allowed.includes(name)) {
        invalid(
          field,
          `{{${name}}} is not a variable of this announcement. It may use: ${allowed.map((v) => `{{${v}}}`).join(', ')}.`,
        );
      }
      if (mark === '#' || mark === '^') open.push(name);
      if (mark === '/' && open.pop() !== name) invalid(field, `{{/${name}}} closes a section that is not open.`);
    }
    if (open.length > 0) invalid(field, `The section {{#${open.at(-1)}}} is not closed with {{/${open.at(-1)}}}.`);
    if (/\{\{|\}\}/.test(text.replace(TAG, ''))) invalid(field, 'A placeholder is written {{name}}.');
  }
  return { subject, body };
}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'var'; name: string }
  | { kind: 'section'; name: string; inverted: boolean; children: Node[] };

/** The template as a tree of text, variables and sections (a checked template is well formed). */
function parse(text: string): Node[] {
  const root: Node[] = [];
  const stack: { name: string; children: Node[] }[] = [{ name: '', children: root }];
  let last = 0;
  for (const match of text.matchAll(TAG)) {
    const [whole, mark, name = ''] = match;
    const index = match.index ?? 0;
    const current = stack[stack.length - 1]?.children ?? root;
    if (index > last) current.push({ kind: 'text', text: text.slice(last, index) });
    last = index + whole.length;
    if (mark === '#' || mark === '^') {
      const section: Node = { kind: 'section', name, inverted: mark === '^', children: [] };
      current.push(section);
      stack.push({ name, children: section.children });
    } else if (mark === '/') {
      if (stack.length > 1) stack.pop();
    } else {
      current.push({ kind: 'var', name });
    }
  }
  const current = stack[stack.length - 1]?.children ?? root;
  if (last < text.length) current.push({ kind: 'text', text: text.slice(last) });
  return root;
}

function render(nodes: Node[], values: Readonly<Record<string, string>>): string {
  return nodes
    .map((node) => {
      if (node.kind === 'text') return node.text;
      if (node.kind === 'var') return values[node.name] ?? '';
      const has = (values[node.name] ?? '').trim() !== '';
      return has !== node.inverted ? render(node.children, values) : '';
    })
    .join('');
}

/**
 * Fills a checked template. Sections are decided by whether their variable has a value; values go in
 * as they are (Markdown). A subject is one line.
 */
export function fillTemplate(
  template: AnnouncementTemplate,
  values: Readonly<Record<string, string>>,
): AnnouncementTemplate {
  return {
    subject: render(parse(template.subject), values).replace(/\s+/g, ' ').trim().slice(0, SUBJECT_MAX),
    body: `${render(parse(template.body), values)
      .replace(/\n{3,}/g, '\n\n')
      .trim()}\n`,
  };
}
