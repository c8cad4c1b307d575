// Which OSV ecosystem a distribution package's purl (deb, apk, rpm) belongs to: the vendor in the
// namespace decides the distribution and the `distro` qualifier, when a release can be read from it,
// the release ("pkg:deb/debian/dpkg?distro=debian-9" -> "Debian:9", "distro=stretch" too). Without a
// readable release the ecosystem has none, which ecosystemCovers (package-key.ts) matches against
// every release's advisories, as osv-scanner does for SBOMs that omit the distro.

type ReleaseRule = 'debian' | 'ubuntu' | 'alpine' | 'major' | 'none';

interface Vendor {
  type: 'deb' | 'apk' | 'rpm';
  namespace: string;
  ecosystem: string;
  release: ReleaseRule;
}

const VENDORS: readonly Vendor[] = [
  { type: 'deb', namespace: 'debian', ecosystem: 'Debian', release: 'debian' },
  { type: 'deb', namespace: 'ubuntu', ecosystem: 'Ubuntu', release: 'ubuntu' },
  { type: 'apk', namespace: 'alpine', ecosystem: 'Alpine', release: 'alpine' },
  { type: 'apk', namespace: 'wolfi', ecosystem: 'Wolfi', release: 'none' },
  { type: 'apk', namespace: 'chainguard', ecosystem: 'Chainguard', release: 'none' },
  // Red Hat's release is a CPE ("Red Hat:rhel_aus:8.4::appstream"), which no distro qualifier holds.
  { type: 'rpm', namespace: 'redhat', ecosystem: 'Red Hat', release: 'none' },
  { type: 'rpm', namespace: 'almalinux', ecosystem: 'AlmaLinux', release: 'major' },
  { type: 'rpm', namespace: 'rocky', ecosystem: 'Rocky Linux', release: 'major' },
  { type: 'rpm', namespace: 'mageia', ecosystem: 'Mageia', release: 'major' },
  // SUSE and openSUSE releases are marketing names ("SUSE Linux Enterprise Server 15 SP5").
  { type: 'rpm', namespace: 'suse', ecosystem: 'SUSE', release: 'none' },
  { type: 'rpm', namespace: 'opensuse', ecosystem: 'openSUSE', release: 'none' },
  { type: 'rpm', namespace: 'openeuler', ecosystem: 'openEuler', release: 'none' },
  { type: 'rpm', namespace: 'azurelinux', ecosystem: 'Azure Linux', release: 'none' },
  { type: 'rpm', namespace: 'photon', ecosystem: 'Photon OS', release: 'none' },
];

// Codenames as distro qualifiers give them (Debian's distro-info-data, Ubuntu's release list).
const DEBIAN: Record<string, string> = {
  etch: '4',
  lenny: '5',
  squeeze: '6',
  wheezy: '7',
  jessie: '8',
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
  duke: '15',
};
const UBUNTU: Record<string, string> = {
  precise: '12.04',
  trusty: '14.04',
  xenial: '16.04',
  bionic: '18.04',
  cosmic: '18.10',
  disco: '19.04',
  eoan: '19.10',
  focal: '20.04',
  groovy: '20.10',
  hirsute: '21.04',
  impish: '21.10',
  jammy: '22.04',
  kinetic: '22.10',
  lunar: '23.04',
  mantic: '23.10',
  noble: '24.04',
  oracular: '24.10',
  plucky: '25.04',
  questing: '25.10',
};

const lookup = (table: Record<string, string>, key: string): string | undefined =>
  Object.hasOwn(table, key) ? table[key] : undefined;

/** The OSV release a distro qualifier names ("debian-9" -> "9", "focal" -> "20.04:LTS"), or "". */
function readRelease(rule: ReleaseRule, distro: string): string {
  // "debian-9", "alpine-3.17.2", "ubuntu-20.04": the release follows the last dash.
  const text = distro.trim().toLowerCase();
  const part = text.slice(text.lastIndexOf('-') + 1);
  switch (rule) {
    case 'debian':
      // Point releases ("9.13") share the major's advisories; sid and testing have no number.
      return lookup(DEBIAN, part) ?? /^(\d+)/.exec(part)?.[1] ?? '';
    case 'ubuntu': {
      const match = /^(\d+)\.(\d+)/.exec(lookup(UBUNTU, part) ?? part);
      if (!match) return '';
      const [year, month] = [Number(match[1]), match[2]?.padStart(2, '0') ?? ''];
      // Every April release of an even year is LTS, as was 6.06.
      const lts = (month === '04' && year % 2 === 0) || (year === 6 && month === '06');
      return `${year}.${month}${lts ? ':LTS' : ''}`;
    }
    case 'alpine': {
      // "3.22.0" -> "v3.22"; "edge" has no release number.
      const match = /^v?(\d+)\.(\d+)/.exec(part);
      return match ? `v${match[1]}.${match[2]}` : '';
    }
    case 'major':
      return /^(\d+)/.exec(part)?.[1] ?? '';
    case 'none':
      return '';
  }
}

/** The OSV ecosystem of a deb, apk or rpm purl's vendor and distro, or undefined for an unknown vendor. */
export function distroRelease(type: string, namespace: string, distro: string): string | undefined {
  const vendor = VENDORS.find((v) => v.type === type && v.namespace === namespace);
  if (!vendor) return undefined;
  const release = readRelease(vendor.release, distro);
  return release === '' ? vendor.ecosystem : `${vendor.ecosystem}:${release}`;
}

/** The purl type, vendor and distro qualifier of an OSV ecosystem and release, the reverse of distroRelease. */
export function releaseDistro(
  ecosystem: string,
  release: string,
): { type: string; namespace: string; qualifier?: string } | undefined {
  const vendor = VENDORS.find((v) => v.ecosystem === ecosystem);
  if (!vendor) return undefined;
  const number = vendor.release === 'ubuntu' ? /\d+\.\d+/.exec(release)?.[0] : /^v?(\d[\d.]*)$/.exec(release)?.[1];
  const qualifier = vendor.release === 'none' || number === undefined ? undefined : `${vendor.namespace}-${number}`;
  return { type: vendor.type, namespace: vendor.namespace, ...(qualifier ? { qualifier } : {}) };
}
