/*
 * What a lockfile, manifest or SBOM says a project ships: one entry per package version, named as
 * OSV names it (the ecosystem from osv-schema's ecosystems list, the package name as the ecosystem's
 * registry spells it), so that matching against the vulnerability database is a lookup by
 * (ecosystem, name) and a version comparison in that ecosystem's order.
 */

/** One package version found in an input. */
export interface ScannedPackage {
  /** OSV ecosystem: "npm", "PyPI", "Go", "crates.io", "RubyGems", "Packagist", "Maven", "NuGet", "Debian:12", "Alpine:v3.20"... */
  ecosystem: string;
  /** As the ecosystem spells it: "@scope/name", "requests", "github.com/x/y", "org.apache:commons". */
  name: string;
  /** The exact version the input pins; "" when it pins none (a Git dependency, an unpinned requirement). */
  version: string;
  /** The commit of a Git dependency, when the input records one. */
  commit?: string;
  /** Dependency groups as the input tells them ("dev", "optional", "test"...); empty for the default group. */
  depGroups?: string[];
  /** 1-based line of the package's entry in the input, when the format has lines that mean something. */
  line?: number;
  /** The package URL the input gave (SBOMs) or that the parser can state. */
  purl?: string;
}

/** A parser of one input format. Parsers are pure: text in, packages out, no I/O. */
export interface LockfileParser {
  /** Stable short name, shown in output: "package-lock.json", "yarn.lock", "cyclonedx-json"... */
  readonly format: string;
  /** Whether a file of this path (its base name decides, or its content type for SBOMs) is this format. */
  matches(path: string): boolean;
  /** The packages in `text`; throws `LockfileError` when the text is not this format. */
  parse(text: string, path: string): ScannedPackage[];
}

/** The input is not valid for its format (bad JSON, bad YAML, a missing required part). */
export class LockfileError extends Error {
  constructor(
    readonly format: string,
    message: string,
  ) {
    super(`${format}: ${message}`);
    this.name = 'LockfileError';
  }
}
