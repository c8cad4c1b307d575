import fs from 'node:fs';
import path from 'node:path';
import { type LockfileParser, LockfileError, type ScannedPackage } from '../domain/scan/inventory.js';
import { parseGoMod } from '../domain/scan/lockfiles/go-mod.js';
import { parsePom } from '../domain/scan/lockfiles/pom-xml.js';
import { parseRequirements } from '../domain/scan/lockfiles/requirements.js';
import { parserFor } from '../domain/scan/lockfiles/index.js';
import type { ScanInput } from '../domain/scan/scan.service.js';
import { walk } from './vulndb.js';

/*
 * The files `embargo scan` reads: a file given by name is parsed by the parser that takes its name;
 * a folder is walked (hidden folders and node_modules skipped) for every file some parser takes.
 * Paths are reported relative to the working directory, with forward slashes, as SARIF wants.
 */

export interface ReadInputs {
  inputs: ScanInput[];
  errors: { path: string; message: string }[];
}

const display = (file: string) => path.relative(process.cwd(), file).split(path.sep).join('/') || file;

export function readScanInputs(paths: readonly string[]): ReadInputs {
  const out: ReadInputs = { inputs: [], errors: [] };
  for (const p of paths) {
    if (!fs.existsSync(p)) {
      out.errors.push({ path: p, message: 'no such file or folder' });
      continue;
    }
    const single = fs.statSync(p).isFile();
    for (const file of walk([p], (f) => parserFor(f) !== undefined)) readOne(file, out);
    if (single && !parserFor(p))
      out.errors.push({ path: display(p), message: 'not a lockfile, manifest or SBOM the scanner reads' });
  }
  return out;
}

/** A file's text when it exists and is a file, for the parsers that follow references to other files. */
function readIfFile(file: string): string | undefined {
  try {
    return fs.statSync(file).isFile() ? fs.readFileSync(file, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Parses one file. Some formats name other files: requirements' `-r`, go.mod's go.sum (before Go
 * 1.17 it holds the indirect requirements), a pom's parent; they are read from beside the file. npm
 * ignores package-lock.json when npm-shrinkwrap.json sits beside it, and so does the scanner.
 */
function parseFile(file: string, text: string, parser: LockfileParser): ScannedPackage[] {
  const posix = file.split(path.sep).join('/');
  switch (parser.format) {
    case 'requirements.txt':
      return parseRequirements(text, posix, readIfFile);
    case 'go.mod':
      return parseGoMod(text, posix, readIfFile);
    case 'pom.xml':
      return parsePom(text, posix, (relative) => readIfFile(path.join(path.dirname(file), relative)));
    default:
      return parser.parse(text, file);
  }
}

function readOne(file: string, out: ReadInputs): void {
  const parser = parserFor(file);
  if (!parser) return;
  if (parser.format === 'package-lock.json' && fs.existsSync(path.join(path.dirname(file), 'npm-shrinkwrap.json')))
    return;
  try {
    const text = fs.readFileSync(file, 'utf8');
    out.inputs.push({ path: display(file), format: parser.format, packages: parseFile(file, text, parser) });
  } catch (err) {
    if (!(err instanceof LockfileError) && !(err instanceof SyntaxError)) throw err;
    out.errors.push({ path: display(file), message: err.message });
  }
}
