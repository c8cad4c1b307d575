/*
 * `embargo scan --format sarif`: SARIF 2.1.0 as GitHub code scanning takes it. One run; one rule
 * per vulnerability (GitHub shows the rule's descriptions and help on the alert, and ranks it by
 * `security-severity`); one result per vulnerability, package version and file, located at the
 * package's line in that file. An ignored finding is a result with an external suppression, so
 * the ignore and its reason travel with the alert instead of the alert silently disappearing.
 * Pure and deterministic: the same report gives the same log.
 */

import { createHash } from 'node:crypto';
import type { ScannedPackage } from '../domain/scan/inventory.js';
import { byText, type ScanFinding, type ScanReport } from '../domain/scan/scan.service.js';
import type { SeverityLabel, VulnInfo } from '../domain/scan/vuln-info.js';
import { packageVersionKey, scannedPurl } from './scan-json.js';

export interface ScanSarifOptions {
  /** embargo's version, stated as the driver's. */
  toolVersion?: string;
}

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

const LEVEL: Record<SeverityLabel, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  unknown: 'note',
};

/** GitHub cuts a rule's descriptions at 1024 characters; cutting here keeps the cut visible. */
const MAX_DESCRIPTION = 1024;
const clip = (text: string) => (text.length <= MAX_DESCRIPTION ? text : `${text.slice(0, MAX_DESCRIPTION - 1)}…`);

const packageText = (p: ScannedPackage) => (p.version === '' ? p.name : `${p.name}@${p.version}`);
/** A Markdown code span that survives backticks in the text (CommonMark: a longer fence, padded). */
const code = (text: string) => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``);

/**
 * A path as a relative URI reference with forward slashes, each segment percent-encoded where a
 * URI needs it (":" too, so that a first segment never reads as a scheme). GitHub resolves it
 * against the repository root, so the scan should run there. An absolute path becomes a file URI.
 */
export function artifactUri(path: string): string {
  let p = path.replace(/\\/g, '/');
  while (p.startsWith('./')) p = p.slice(2);
  const encode = (segments: string) =>
    segments
      .split('/')
      .map((s) => s.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=@]/gu, (c) => encodeURIComponent(c)))
      .join('/');
  const drive = /^([A-Za-z]):\/(.*)$/.exec(p);
  if (drive) return `file:///${drive[1] ?? ''}:/${encode(drive[2] ?? '')}`;
  return p.startsWith('/') ? `file://${encode(p)}` : encode(p);
}

const isUrl = (text: string | null): text is string => text !== null && URL.canParse(text);

function help(vuln: VulnInfo, findings: readonly ScanFinding[]): { text: string; markdown: string } {
  const fixes = new Map<string, { pkg: ScannedPackage; fixed: string | null }>();
  for (const f of findings) fixes.set(packageVersionKey(f.package), { pkg: f.package, fixed: f.fixedVersion });
  const fixList = [...fixes.values()];
  const fixText = (fixed: string | null) => (fixed === null ? 'no fixed version is known' : `upgrade to ${fixed}`);
  const aliases = vuln.aliases.length > 0 ? ` (${vuln.aliases.join(', ')})` : '';
  const summary = vuln.summary.trim() === '' ? '' : `: ${vuln.summary.trim()}`;
  const text = [
    `${vuln.id}${aliases}${summary}`,
    '',
    'Fix:',
    ...fixList.map(({ pkg, fixed }) => `- ${packageText(pkg)} (${pkg.ecosystem}): ${fixText(fixed)}`),
    ...(vuln.details.trim() === '' ? [] : ['', vuln.details.trim()]),
    ...(isUrl(vuln.url) ? ['', `More: ${vuln.url}`] : []),
  ];
  const markdown = [
    `**${vuln.id}**${aliases}${summary}`,
    '',
    '**Fix**',
    '',
    ...fixList.map(({ pkg, fixed }) => `- ${code(packageText(pkg))} (${pkg.ecosystem}): ${fixText(fixed)}`),
    ...(vuln.details.trim() === '' ? [] : ['', vuln.details.trim()]),
    ...(isUrl(vuln.url) ? ['', `More: <${vuln.url}>`] : []),
  ];
  return { text: text.join('\n'), markdown: markdown.join('\n') };
}

function rule(vuln: VulnInfo, findings: readonly ScanFinding[]): object {
  const short = vuln.summary.trim() === '' ? `Vulnerability ${vuln.id}` : vuln.summary;
  const properties: Record<string, unknown> = { tags: ['security', 'vulnerability', 'dependency'] };
  // GitHub reads a number from 0.0 to 10.0, as a string; without a CVSS score there is none to give.
  if (vuln.score !== null) properties['security-severity'] = vuln.score.toFixed(1);
  return {
    id: vuln.id,
    shortDescription: { text: clip(short) },
    fullDescription: { text: clip(vuln.details.trim() === '' ? short : vuln.details.trim()) },
    ...(isUrl(vuln.url) ? { helpUri: vuln.url } : {}),
    help: help(vuln, findings),
    defaultConfiguration: { level: LEVEL[vuln.severity] },
    properties,
  };
}

function message(f: ScanFinding): string {
  const summary = f.vuln.summary.trim().replace(/\.$/, '');
  const what = `${packageText(f.package)} (${f.package.ecosystem}) is affected by ${f.vuln.id}${summary === '' ? '' : ` (${summary})`}.`;
  return `${what} ${f.fixedVersion === null ? 'No fixed version is known.' : `Upgrade to ${f.fixedVersion}.`}`;
}

/** Stable across runs while the same version stays in the same file, so GitHub keeps one alert for it. */
const fingerprint = (f: ScanFinding) =>
  createHash('sha256')
    .update([f.vuln.id, artifactUri(f.path), f.package.ecosystem, f.package.name, f.package.version].join('\u0000'))
    .digest('hex');

function result(f: ScanFinding, ruleIndex: number): object {
  const purl = scannedPurl(f.package);
  return {
    ruleId: f.vuln.id,
    ruleIndex,
    level: LEVEL[f.vuln.severity],
    message: { text: message(f) },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: artifactUri(f.path) },
          // GitHub needs a start line (its upload checks, GH1003); a package without one is put on the first.
          region: { startLine: f.package.line ?? 1 },
        },
      },
    ],
    partialFingerprints: { 'embargo-scan/v1': fingerprint(f) },
    ...(f.ignored === null
      ? {}
      : {
          suppressions: [
            { kind: 'external', justification: f.ignored.reason, properties: { until: f.ignored.until.toISOString() } },
          ],
        }),
    properties: {
      ecosystem: f.package.ecosystem,
      package: f.package.name,
      version: f.package.version,
      fixedVersion: f.fixedVersion,
      ...(purl === null ? {} : { purl }),
    },
  };
}

function notifications(report: ScanReport): object[] {
  return [
    ...report.errors.map((e) => ({
      level: 'error',
      message: { text: `${e.path}: ${e.message}` },
      locations: [{ physicalLocation: { artifactLocation: { uri: artifactUri(e.path) } } }],
    })),
    ...report.expiredIgnores.map((e) => ({
      level: 'warning',
      message: {
        text:
          `The ignore entry for ${e.id}${e.package === null ? '' : ` in ${e.package}`} expired on ` +
          `${e.until.toISOString().slice(0, 10)} and no longer hides it (${e.reason}).`,
      },
    })),
  ];
}

/** The scan report as a SARIF 2.1.0 log. */
export function scanSarif(report: ScanReport, options: ScanSarifOptions = {}): object {
  // One result per file, package version and vulnerability: a package listed twice in a file shows once.
  const findings = new Map<string, ScanFinding>();
  for (const f of report.findings) {
    const key = `${f.path}\u0000${packageVersionKey(f.package)}\u0000${f.vuln.id}`;
    if (!findings.has(key)) findings.set(key, f);
  }
  const byVuln = new Map<string, ScanFinding[]>();
  for (const f of findings.values()) byVuln.set(f.vuln.id, [...(byVuln.get(f.vuln.id) ?? []), f]);
  const ids = [...byVuln.keys()].sort(byText);
  const rules = ids.map((id) => {
    const list = byVuln.get(id) ?? [];
    const first = list[0];
    if (!first) throw new Error(`no finding for ${id}`);
    return rule(first.vuln, list);
  });
  const notes = notifications(report);
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'embargo-scan',
            ...(options.toolVersion === undefined ? {} : { version: options.toolVersion }),
            rules,
          },
        },
        // The scan ran to its end even when some inputs could not be read; those are its notifications.
        invocations: [
          { executionSuccessful: true, ...(notes.length > 0 ? { toolExecutionNotifications: notes } : {}) },
        ],
        results: [...findings.values()].map((f) => result(f, ids.indexOf(f.vuln.id))),
      },
    ],
  };
}
