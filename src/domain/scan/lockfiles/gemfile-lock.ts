/*
 * Gemfile.lock (Bundler): sections start at column 0 (GEM, GIT, PATH, PLATFORMS, DEPENDENCIES,
 * RUBY VERSION, BUNDLED WITH...). In the three source sections, `specs:` lists the resolved gems at
 * four spaces of indent, `name (version[-platform])`, each followed by its own requirements at six.
 * The lockfile does not say which Gemfile group a gem came from, so no dependency groups are given
 * (osv-scalibr gives none either).
 */
import type { LockfileParser, ScannedPackage } from '../inventory.js';

const FORMAT = 'Gemfile.lock';

// Sections whose `specs:` are gems the bundle installs; PLUGIN SOURCE lists Bundler plugins, not gems of the app.
const SOURCE_SECTIONS = new Set(['GEM', 'GIT', 'PATH']);

// Exactly four spaces, then `name (version)`; Bundler writes a platform after the first `-` of the version.
const SPEC = /^ {4}(?! )(\S+) \(([^-)]+)(?:-[^)]*)?\)$/;
const REVISION = /^ {2}revision: *(\S+)$/;

interface Section {
  name: string;
  revision?: string;
  inSpecs: boolean;
}

function parse(text: string): ScannedPackage[] {
  const packages: ScannedPackage[] = [];
  const seen = new Set<string>();
  let section: Section | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    if (!line.startsWith(' ')) {
      section = { name: line.trim(), inSpecs: false };
      return;
    }
    if (section === undefined || !SOURCE_SECTIONS.has(section.name)) return;
    if (/^ {2}(?! )/.test(line)) {
      // A section attribute (`remote:`, `revision:`, `branch:`, `specs:`...) ends any specs list.
      section.inSpecs = line.trim() === 'specs:';
      const revision = REVISION.exec(line)?.[1];
      if (revision !== undefined) section.revision = revision;
      return;
    }
    if (!section.inSpecs) return;
    const match = SPEC.exec(line);
    const name = match?.[1];
    const version = match?.[2];
    if (name === undefined || version === undefined) return;
    const commit = section.name === 'GIT' ? section.revision : undefined;
    // One gem built for several platforms is listed once per platform; it is one version to match.
    const key = `${name}@${version}#${commit ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    const pkg: ScannedPackage = { ecosystem: 'RubyGems', name, version, line: index + 1 };
    if (commit !== undefined) pkg.commit = commit;
    packages.push(pkg);
  });
  return packages;
}

export const gemfileLockParser: LockfileParser = {
  format: FORMAT,
  // `gems.locked` is the lockfile of a `gems.rb`, Bundler's other spelling of a Gemfile.
  matches: (path) => {
    const base = path.split(/[\\/]/).pop();
    return base === 'Gemfile.lock' || base === 'gems.locked';
  },
  parse: (text) => parse(text),
};
