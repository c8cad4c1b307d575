import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { IgnoreFileError, type IgnoreEntry, parseIgnoreFile } from '../domain/scan/ignore-file.js';
import { activeFindings, type ScanReport, scanInputs } from '../domain/scan/scan.service.js';
import type { SeverityLabel } from '../domain/scan/vuln-info.js';
import { scanJson } from '../formats/scan-json.js';
import { scanSarif } from '../formats/scan-sarif.js';
import { scanTable } from '../formats/scan-table.js';
import { scanVex } from '../formats/scan-vex.js';
import { openScanDb } from './scan-db.js';
import { readScanInputs } from './scan-inputs.js';

export const SCAN_USAGE = `Usage: embargo scan [options] <file-or-folder>...

Scans lockfiles, manifests and SBOMs (a file, or a folder recursively) against the local
vulnerability database, with no server and no network.

Options:
  --db PATH|URL         The vulnerability database (default: EMBARGO_SCAN_DB, else the server's)
  --format F            table (default), json, sarif or vex (CycloneDX 1.6 VEX)
  -o, --output FILE     Write the report to FILE instead of standard output
  --ignore-file FILE    Ignore entries (TOML, with a reason and an expiry each); default: an
                        embargo-scan.toml or osv-scanner.toml in the first folder scanned
  --fail-on LEVEL       Exit 1 when a finding is at least LEVEL: any (default), low, medium,
                        high, critical; or never
  --no-color            Plain table output even on a terminal

Exit codes: 0 nothing found (at the --fail-on level), 1 vulnerabilities found, 2 bad usage or input.`;

const FORMATS = ['table', 'json', 'sarif', 'vex'] as const;
const LEVELS = ['any', 'low', 'medium', 'high', 'critical', 'never'] as const;
const RANK: Record<SeverityLabel, number> = { unknown: 0, low: 1, medium: 2, high: 3, critical: 4 };
const IGNORE_FILES = ['embargo-scan.toml', 'osv-scanner.toml'];

class UsageError extends Error {}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string, fallback: T): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}`);
}

function readIgnores(option: string | undefined, paths: readonly string[]): IgnoreEntry[] {
  let file = option;
  if (file === undefined) {
    const first = paths[0];
    const dir = first && fs.existsSync(first) && fs.statSync(first).isDirectory() ? first : path.dirname(first ?? '.');
    file = IGNORE_FILES.map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
    if (file === undefined) return [];
  }
  if (!fs.existsSync(file)) throw new UsageError(`no such ignore file: ${file}`);
  try {
    return parseIgnoreFile(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if (err instanceof IgnoreFileError) throw new UsageError(`${file}: ${err.message}`);
    throw err;
  }
}

/** Whether the report should fail the run at `level`. */
export function failsAt(report: ScanReport, level: (typeof LEVELS)[number]): boolean {
  if (level === 'never') return false;
  const findings = activeFindings(report);
  if (level === 'any') return findings.length > 0;
  const min = RANK[level as SeverityLabel];
  return findings.some((f) => RANK[f.vuln.severity] >= min);
}

function render(report: ScanReport, format: (typeof FORMATS)[number], color: boolean): string {
  switch (format) {
    case 'table':
      return scanTable(report, { color, width: color ? process.stdout.columns : undefined });
    case 'json':
      return `${JSON.stringify(scanJson(report), null, 2)}\n`;
    case 'sarif':
      return `${JSON.stringify(scanSarif(report), null, 2)}\n`;
    case 'vex':
      return `${JSON.stringify(scanVex(report, { timestamp: new Date() }), null, 2)}\n`;
  }
}

/** `embargo scan`; returns the exit code. */
export async function scanCommand(argv: string[]): Promise<number> {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        db: { type: 'string' },
        format: { type: 'string' },
        output: { type: 'string', short: 'o' },
        'ignore-file': { type: 'string' },
        'fail-on': { type: 'string' },
        'no-color': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`embargo scan: ${(err as Error).message}\n\n${SCAN_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${SCAN_USAGE}\n`);
    return 0;
  }
  try {
    if (positionals.length === 0) throw new UsageError('give a file or folder to scan');
    const format = oneOf(values.format, FORMATS, 'format', 'table');
    const failOn = oneOf(values['fail-on'], LEVELS, 'fail-on', 'any');
    const ignores = readIgnores(values['ignore-file'], positionals);
    const { inputs, errors } = readScanInputs(positionals);
    const db = await openScanDb(values.db);
    let report: ScanReport;
    try {
      report = await scanInputs(db, { inputs, errors, ignores, now: new Date() });
    } finally {
      await db.destroy();
    }
    const color = format === 'table' && !values['no-color'] && !values.output && process.stdout.isTTY === true;
    const text = render(report, format, color);
    if (values.output) fs.writeFileSync(values.output, text);
    else process.stdout.write(text);
    if (inputs.length === 0 && errors.length > 0) return 2;
    return failsAt(report, failOn) ? 1 : 0;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`embargo scan: ${err.message}\n`);
    return 2;
  }
}
