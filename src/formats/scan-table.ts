/*
 * `embargo scan`'s terminal output: a table of the active findings (one row per vulnerability,
 * package version and file, files in path order and the worst first within a file), then the
 * ignored findings, the expired ignore entries and the inputs that could not be read, one line
 * each, and a summary line. Pure: the caller says whether to colour and how wide the terminal is.
 */

import type { ScannedPackage } from '../domain/scan/inventory.js';
import { byText, type ScanFinding, type ScanReport } from '../domain/scan/scan.service.js';
import type { SeverityLabel } from '../domain/scan/vuln-info.js';
import { packageVersionKey } from './scan-json.js';

export interface ScanTableOptions {
  /** ANSI colours, for a terminal; off unless asked for. */
  color?: boolean;
  /** The terminal's width in columns; without it no cell is cut. */
  width?: number;
}

const SEVERITIES: readonly SeverityLabel[] = ['critical', 'high', 'medium', 'low', 'unknown'];
const COLOUR: Record<SeverityLabel, string> = { critical: '1;31', high: '31', medium: '33', low: '36', unknown: '90' };

const HEADERS = ['VULNERABILITY', 'SEVERITY', 'ECOSYSTEM', 'PACKAGE', 'VERSION', 'FIXED', 'SOURCE'] as const;
const [ECOSYSTEM, PACKAGE, VERSION, FIXED, SOURCE] = [2, 3, 4, 5, 6] as const;

/** What a narrow table leaves out before it cuts anything: the links (ids stay), then the scores (labels stay). */
interface Detail {
  links: boolean;
  scores: boolean;
}

/**
 * How a table too wide for the terminal gives way, step by step until it fits: links give way to
 * ids, then the ecosystem and the file's path are cut (a path keeps its end), then scores give way
 * to labels, then every column but the id and the severity is cut down to a floor, the one widest
 * for its weight first. A cut id names nothing, so ids are never cut; below the floors the table
 * is left wider than the terminal rather than made unreadable.
 */
type Step = { detail: Detail } | { cut: [column: number, floor: number, weight: number][] };
const STEPS: readonly Step[] = [
  { detail: { links: false, scores: true } },
  {
    cut: [
      [ECOSYSTEM, 6, 1],
      [SOURCE, 18, 3],
    ],
  },
  { detail: { links: false, scores: false } },
  {
    cut: [
      [ECOSYSTEM, 4, 1],
      [PACKAGE, 7, 2],
      [VERSION, 5, 1],
      [FIXED, 5, 1],
      [SOURCE, 8, 2],
    ],
  },
];
/** Each cell's two spaces and border, and the closing border. */
const OVERHEAD = 3 * HEADERS.length + 1;

/**
 * Control characters from an input (a package name, a path, a reason) could move the cursor or
 * recolour the terminal, and a newline would break the table: each shows as U+FFFD instead.
 */
const printable = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\ufffd');
const paint = (on: boolean, code: string, text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);
// Code points, not UTF-16 units; wide (East Asian) characters are rare enough in these cells to count as one.
const length = (text: string) => [...text].length;
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const day = (d: Date) => d.toISOString().slice(0, 10);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const packageText = (p: ScannedPackage) => (p.version === '' ? p.name : `${p.name}@${p.version}`);
const findingKey = (f: ScanFinding) => `${f.path}\u0000${packageVersionKey(f.package)}\u0000${f.vuln.id}`;

/** One finding per file, package version and vulnerability: a package listed twice in a file shows once. */
function distinct(findings: readonly ScanFinding[], key = findingKey): ScanFinding[] {
  const seen = new Map<string, ScanFinding>();
  for (const f of findings) if (!seen.has(key(f))) seen.set(key(f), f);
  return [...seen.values()];
}

const rowOrder = (a: ScanFinding, b: ScanFinding) =>
  byText(a.path, b.path) ||
  SEVERITIES.indexOf(a.vuln.severity) - SEVERITIES.indexOf(b.vuln.severity) ||
  (b.vuln.score ?? -1) - (a.vuln.score ?? -1) ||
  byText(a.package.name, b.package.name) ||
  byText(a.package.version, b.package.version) ||
  byText(a.vuln.id, b.vuln.id);

/** osv.dev's short link for what came from OSV; the project's own advisory page for its own. */
function link(f: ScanFinding, asUrl: boolean): string {
  if (!asUrl) return f.vuln.id;
  if (f.vuln.origin === 'import') return `https://osv.dev/${encodeURIComponent(f.vuln.id)}`;
  return f.vuln.url ?? f.vuln.id;
}

function cells(f: ScanFinding, detail: Detail): string[] {
  const { vuln, package: p } = f;
  const version = p.version !== '' ? p.version : p.commit ? p.commit.slice(0, 12) : '-';
  const texts = [
    link(f, detail.links),
    vuln.score === null || !detail.scores ? vuln.severity : `${vuln.score.toFixed(1)} ${vuln.severity}`,
    p.ecosystem,
    p.name,
    version,
    f.fixedVersion ?? 'no fix',
    p.line === undefined ? f.path : `${f.path}:${p.line}`,
  ];
  return texts.map(printable);
}

const natural = (rows: readonly string[][]) =>
  HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => length(r[i] ?? ''))));

function layout(findings: readonly ScanFinding[], width: number | undefined) {
  let detail: Detail = { links: true, scores: true };
  const caps = HEADERS.map(() => Infinity);
  const measure = () => {
    const rows = findings.map((f) => cells(f, detail));
    return { rows, widths: natural(rows).map((w, i) => Math.min(w, caps[i] ?? Infinity)) };
  };
  let current = measure();
  const fits = () => width === undefined || sum(current.widths) + OVERHEAD <= width;
  for (const step of STEPS) {
    if (fits()) break;
    if ('detail' in step) {
      detail = step.detail;
      current = measure();
      continue;
    }
    while (!fits()) {
      let pick: number | undefined;
      let most = 0;
      for (const [column, floor, weight] of step.cut) {
        const w = current.widths[column] ?? 0;
        if (w > floor && w / weight > most) [pick, most] = [column, w / weight];
      }
      if (pick === undefined) break;
      caps[pick] = (current.widths[pick] ?? 0) - 1;
      current.widths[pick] = caps[pick] ?? 0;
    }
  }
  return current;
}

/** A path keeps its end (the file's name); anything else keeps its start. */
function cut(text: string, width: number, keepEnd: boolean): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 1) return '…';
  return keepEnd ? `…${chars.slice(chars.length - width + 1).join('')}` : `${chars.slice(0, width - 1).join('')}…`;
}

function table(findings: readonly ScanFinding[], options: ScanTableOptions): string[] {
  const color = options.color === true;
  const { rows, widths } = layout(findings, options.width);
  const border = (left: string, mid: string, right: string) =>
    left + widths.map((w) => '─'.repeat(w + 2)).join(mid) + right;
  const line = (texts: readonly string[], colour: (i: number) => string | null) =>
    `│${texts
      .map((text, i) => {
        const w = widths[i] ?? 0;
        const shown = cut(text, w, i === SOURCE);
        const code = colour(i);
        return ` ${code === null ? shown : paint(color, code, shown)}${' '.repeat(w - length(shown))} `;
      })
      .join('│')}│`;
  return [
    border('╭', '┬', '╮'),
    line(HEADERS, () => '1'),
    border('├', '┼', '┤'),
    ...rows.map((row, r) =>
      line(row, (i) => {
        const f = findings[r];
        if (i === 1 && f) return COLOUR[f.vuln.severity];
        if (i === 5 && f?.fixedVersion === null) return '90';
        return null;
      }),
    ),
    border('╰', '┴', '╯'),
  ];
}

/** Counted per package version: the same vulnerable version in two files is one vulnerability to fix. */
const perPackageKey = (f: ScanFinding) => `${packageVersionKey(f.package)}\u0000${f.vuln.id}`;

function summary(report: ScanReport, active: readonly ScanFinding[], ignoredFindings: readonly ScanFinding[]): string {
  const perPackage = distinct(active, perPackageKey);
  const ignored = distinct(ignoredFindings, perPackageKey).length;
  const packages = new Set(perPackage.map((f) => packageVersionKey(f.package)));
  const bySeverity = SEVERITIES.map((s) => [s, perPackage.filter((f) => f.vuln.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  const fixable = perPackage.filter((f) => f.fixedVersion !== null).length;
  const scanned = `Scanned ${plural(report.inputs.length, 'file')} and found ${plural(report.packageCount, 'package')}`;
  const found =
    perPackage.length === 0
      ? 'no known vulnerabilities'
      : `${plural(perPackage.length, 'vulnerability', 'vulnerabilities')} in ${plural(packages.size, 'package')} ` +
        `(${bySeverity.join(', ')}); fix available for ${fixable}`;
  return `${scanned}; ${found}${ignored > 0 ? `; ${ignored} ignored` : ''}`;
}

/** The scan report as text for a terminal, ending in a newline. */
export function scanTable(report: ScanReport, options: ScanTableOptions = {}): string {
  const color = options.color === true;
  const active = distinct(report.findings.filter((f) => f.ignored === null)).sort(rowOrder);
  const ignored = distinct(report.findings.filter((f) => f.ignored !== null)).sort(rowOrder);
  const notes = [
    ...report.expiredIgnores.map(
      (e) =>
        `${paint(color, '33', 'warning:')} ` +
        printable(
          `the ignore entry for ${e.id}${e.package === null ? '' : ` in ${e.package}`} ` +
            `expired on ${day(e.until)} and no longer hides it (${e.reason})`,
        ),
    ),
    ...report.errors.map((e) => `${paint(color, '31', 'error:')} ${printable(`${e.path}: ${e.message}`)}`),
  ];
  const sections = [
    active.length > 0 ? table(active, options) : [],
    ignored.flatMap((f) =>
      f.ignored === null
        ? []
        : [
            paint(
              color,
              '2',
              printable(
                `${f.vuln.id} in ${packageText(f.package)} (${f.path}): ignored until ${day(f.ignored.until)}: ${f.ignored.reason}`,
              ),
            ),
          ],
    ),
    notes,
    [summary(report, active, ignored)],
  ].filter((s) => s.length > 0);
  return `${sections.map((s) => s.join('\n')).join('\n\n')}\n`;
}
