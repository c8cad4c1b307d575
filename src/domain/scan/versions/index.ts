import type { Compare } from '../osv-ranges.js';
import * as alpine from './alpine.js';
import * as debian from './debian.js';
import * as maven from './maven.js';
import * as nuget from './nuget.js';
import * as packagist from './packagist.js';
import * as pub from './pub.js';
import * as pypi from './pypi.js';
import * as rpm from './rpm.js';
import * as rubygems from './rubygems.js';
import * as semver from './semver.js';

// Which version order each OSV ecosystem uses (osv-schema's ecosystems.json names; a release
// suffix such as "Debian:12" does not change the order). SemVer ecosystems share one order, as do
// the dpkg and RPM families. An ecosystem missing here has no known order: its ECOSYSTEM ranges
// cannot be evaluated (osv-ranges.ts says "affects nothing" and the scanner reports them unknown).

const ORDERS: Record<string, Compare> = {
  npm: semver.compare,
  'crates.io': semver.compare,
  Go: semver.compare,
  Hex: semver.compare,
  'GitHub Actions': semver.compare,
  Bitnami: semver.compare,
  PyPI: pypi.compare,
  RubyGems: rubygems.compare,
  NuGet: nuget.compare,
  Pub: pub.compare,
  Maven: maven.compare,
  Packagist: packagist.compare,
  Debian: debian.compare,
  Ubuntu: debian.compare,
  'Red Hat': rpm.compare,
  AlmaLinux: rpm.compare,
  'Rocky Linux': rpm.compare,
  SUSE: rpm.compare,
  openSUSE: rpm.compare,
  openEuler: rpm.compare,
  Mageia: rpm.compare,
  'Azure Linux': rpm.compare,
  Alpine: alpine.compare,
  Wolfi: alpine.compare,
  Chainguard: alpine.compare,
};

/** SemVer 2.0 precedence, the order of OSV's SEMVER ranges in every ecosystem. */
export const semverOrder: Compare = semver.compare;

/** The version order of an OSV ecosystem ("npm", "Debian:12"), or undefined when none is known. */
export function versionOrder(ecosystem: string): Compare | undefined {
  return ORDERS[ecosystem.split(':')[0] ?? ecosystem];
}
