import { posix } from 'node:path';
import { LockfileError, type LockfileParser, type ScannedPackage } from '../inventory.js';
import { type Directive, goModDirectives } from './go-mod-syntax.js';

/*
 * go.mod, read as osv-scalibr reads it: every `require` (indirect ones too), with `replace`
 * directives applied (a versioned one to that version only; a replacement by a local directory
 * stays, as the directory's path with version ""), and the Go standard library as package
 * `stdlib` at the `toolchain` version, else the `go` version. Versions lose their leading "v", as
 * OSV writes Go versions. Below go 1.17 a go.mod omits indirect requirements; go.sum's modules stand
 * in for them when the caller can read it.
 */

const FORMAT = 'go.mod';
const GO_VERSION = /^([1-9][0-9]*)\.(0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))?(?:[a-z]+[0-9]+)?$/;

/** Reads the go.sum beside a go.mod, by the path the parser resolved; undefined if unreadable. */
export type ReadGoSum = (path: string) => string | undefined;

interface Replace {
  oldPath: string;
  oldVersion: string | undefined;
  newPath: string;
  newVersion: string;
  line: number;
}

interface Pin {
  version: string;
  line: number;
}

/** The packages of a go.mod; `readGoSum` is asked for go.sum only when the `go` version is below 1.17. */
export function parseGoMod(text: string, path: string, readGoSum?: ReadGoSum): ScannedPackage[] {
  const required: ScannedPackage[] = [];
  const replaces: Replace[] = [];
  let go: Pin | undefined;
  let toolchain: Pin | undefined;
  for (const d of goModDirectives(text)) {
    if (d.verb === 'go') go = { version: single(d), line: d.line };
    else if (d.verb === 'toolchain') toolchain = { version: single(d), line: d.line };
    else if (d.verb === 'require') required.push({ ecosystem: 'Go', ...modulePair(d), line: d.line });
    else if (d.verb === 'replace') replaces.push(replaceOf(d));
    // An excluded version is never built, so `exclude` is only checked for shape.
    else if (d.verb === 'exclude') modulePair(d);
  }
  if (go !== undefined && !GO_VERSION.test(go.version)) {
    throw new LockfileError(FORMAT, `line ${go.line}: invalid go version "${go.version}"`);
  }
  const packages = required.map((pkg) => applyReplaces(pkg, replaces));
  const stdlib = stdlibPin(go, toolchain);
  if (stdlib !== undefined) packages.push({ ecosystem: 'Go', name: 'stdlib', ...stdlib });
  const sum = go !== undefined && minorBelow17(go.version) ? readGoSum?.(goSumPath(path)) : undefined;
  if (sum !== undefined) packages.push(...goSumModules(sum));
  return unique(packages);
}

function single(d: Directive): string {
  const [value] = d.args;
  if (d.args.length !== 1 || value === undefined) throw syntax(d, 'one argument');
  return value;
}

function modulePair(d: Directive): { name: string; version: string } {
  const [name, version] = d.args;
  if (d.args.length !== 2 || name === undefined || version === undefined) throw syntax(d, 'a module path and version');
  return { name, version: bare(version) };
}

function replaceOf(d: Directive): Replace {
  const arrow = d.args.indexOf('=>');
  const [oldPath, oldVersion] = d.args.slice(0, arrow);
  const [newPath, newVersion] = d.args.slice(arrow + 1);
  const shapeOk = (arrow === 1 || arrow === 2) && d.args.length - arrow - 1 <= 2;
  if (!shapeOk || oldPath === undefined || newPath === undefined) throw syntax(d, 'path [version] => path [version]');
  // Only a directory can stand in without a version (Go's own rule).
  if (newVersion === undefined && !/^(?:\.\.?\/|\/|[A-Za-z]:[\\/])/.test(newPath) && newPath !== '.') {
    throw syntax(d, 'a version for a replacement that is not a local directory');
  }
  const old = oldVersion === undefined ? undefined : bare(oldVersion);
  return { oldPath, oldVersion: old, newPath, newVersion: bare(newVersion ?? ''), line: d.line };
}

/** A versioned replace for this version wins over one for every version of the module. */
function applyReplaces(pkg: ScannedPackage, replaces: readonly Replace[]): ScannedPackage {
  const forModule = replaces.filter((r) => r.oldPath === pkg.name);
  const replace =
    forModule.findLast((r) => r.oldVersion === pkg.version) ?? forModule.findLast((r) => r.oldVersion === undefined);
  if (replace === undefined) return pkg;
  return { ecosystem: 'Go', name: replace.newPath, version: replace.newVersion, line: replace.line };
}

function stdlibPin(go: Pin | undefined, toolchain: Pin | undefined): Pin | undefined {
  // "go1.23.6-xyz" names a build of Go 1.23.6; "default" names no version at all.
  if (toolchain !== undefined && toolchain.version.startsWith('go')) {
    return { version: toolchain.version.slice(2).split('-')[0] ?? '', line: toolchain.line };
  }
  return go;
}

function minorBelow17(version: string): boolean {
  const [, major, minor] = GO_VERSION.exec(version) ?? [];
  return major === '1' && Number(minor) < 17;
}

function goSumPath(path: string): string {
  return path.endsWith('.mod') ? `${path.slice(0, -'.mod'.length)}.sum` : posix.join(posix.dirname(path), 'go.sum');
}

/**
 * The modules go.sum holds code hashes for; the `/go.mod` lines only verify a module's go.mod.
 * Their lines are go.sum's, not the input's, so none is given.
 */
function goSumModules(sum: string): ScannedPackage[] {
  const packages: ScannedPackage[] = [];
  for (const raw of sum.split(/\r?\n/)) {
    const fields = raw.trim().split(/\s+/);
    const [name, version] = fields;
    // A line of another shape is skipped: go.sum only adds to what go.mod already gave.
    if (fields.length !== 3 || name === undefined || version === undefined || version.endsWith('/go.mod')) continue;
    packages.push({ ecosystem: 'Go', name, version: bare(version) });
  }
  return packages;
}

function unique(packages: readonly ScannedPackage[]): ScannedPackage[] {
  const seen = new Set<string>();
  return packages.filter((p) => {
    const key = `${p.name}\u0000${p.version}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function bare(version: string): string {
  return version.startsWith('v') ? version.slice(1) : version;
}

function syntax(d: Directive, wanted: string): LockfileError {
  return new LockfileError(FORMAT, `line ${d.line}: "${d.verb}" wants ${wanted}, got "${d.args.join(' ')}"`);
}

export const goModParser: LockfileParser = {
  format: FORMAT,
  matches: (path) => (path.split(/[\\/]/).pop() ?? '') === 'go.mod',
  parse: (text, path) => parseGoMod(text, path),
};
