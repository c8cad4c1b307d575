// A published advisory as a CycloneDX 1.6 VEX: one BOM holding the affected packages (or, for a
// project without packages, the project itself) as components and the advisory as its one
// vulnerability, whose `affects` says which versions are affected and which are not, and whose
// `analysis` is the project's own statement about its software (CycloneDX "VEX": the supplier's
// exploitability statement). Pure and deterministic: the same record gives the same document.

import { createHash } from 'node:crypto';
import type {
  AdvisoryRecord,
  RecordBranch,
  RecordCvss,
  RecordPackage,
  RecordRange,
  ReferenceType,
} from '../domain/advisories/advisory-record.js';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** RFC 4122 appendix C: the name space for names that are URLs. */
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

/** A name-based (SHA-1) UUID, RFC 4122 section 4.3: the same name always gives the same UUID. */
export function uuidV5(name: string, namespace: string = URL_NAMESPACE): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest()
    .subarray(0, 16);
  hash.writeUInt8((hash.readUInt8(6) & 0x0f) | 0x50, 6); // version 5
  hash.writeUInt8((hash.readUInt8(8) & 0x3f) | 0x80, 8); // RFC 4122 variant
  const hex = hash.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** FIRST's qualitative rating of a CVSS score (the same bands in 3.1 and 4.0), as CycloneDX spells it. */
export function severityOf(score: number): string {
  if (score === 0) return 'none';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}

const METHOD: Record<RecordCvss['version'], string> = { '3.1': 'CVSSv31', '4.0': 'CVSSv4' };

/** Where an alias is looked up: the CVE list, GitHub's database, else osv.dev, which mirrors the other databases. */
/** Where an alias is published, for a CycloneDX `source`: CVE, GitHub's database, else OSV. */
export function aliasSource(id: string): JsonObject {
  if (/^CVE-\d{4}-\d+$/.test(id)) return { name: 'CVE', url: `https://www.cve.org/CVERecord?id=${id}` };
  if (id.startsWith('GHSA-')) return { name: 'GitHub Advisory Database', url: `https://github.com/advisories/${id}` };
  return { name: 'OSV', url: `https://osv.dev/vulnerability/${encodeURIComponent(id)}` };
}

const REFERENCE_TITLE: Record<ReferenceType, string> = {
  ADVISORY: 'Advisory',
  ARTICLE: 'Article',
  DETECTION: 'Detection',
  DISCUSSION: 'Discussion',
  REPORT: 'Report',
  FIX: 'Fix',
  INTRODUCED: 'Change that introduced the vulnerability',
  PACKAGE: 'Package',
  EVIDENCE: 'Evidence',
  WEB: 'Web page',
};

/** The `vers` versioning scheme: by the vers spec's convention, the package's purl type. */
function versScheme(pkg: RecordPackage): string {
  const type = pkg.purl ? /^pkg:([a-zA-Z][a-zA-Z0-9.+-]*)\//.exec(pkg.purl)?.[1] : undefined;
  return (type ?? 'generic').toLowerCase();
}

/** vers requires a version holding a separator or comparator character to be percent-encoded. */
const versVersion = (v: string) => v.replace(/[%><=!*|]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** One OSV-style range as a vers range: `>=introduced` (unless "0") and `<fixed` or `<=lastAffected`. */
function versRange(pkg: RecordPackage, range: RecordRange): string {
  const constraints: string[] = [];
  if (range.introduced !== '0') constraints.push(`>=${versVersion(range.introduced)}`);
  if (range.fixed !== null) constraints.push(`<${versVersion(range.fixed)}`);
  else if (range.lastAffected !== null) constraints.push(`<=${versVersion(range.lastAffected)}`);
  return `vers:${versScheme(pkg)}/${constraints.length > 0 ? constraints.join('|') : '*'}`;
}

function rangeText(range: RecordRange): string {
  const from = range.introduced === '0' ? null : range.introduced;
  if (range.fixed !== null) {
    return `${from ? `versions from ${from}` : 'versions'} before ${range.fixed} are affected; fixed in ${range.fixed}`;
  }
  if (range.lastAffected !== null) {
    const upTo = from ? `versions from ${from} through` : 'versions up to and including';
    return `${upTo} ${range.lastAffected} are affected; no fixed version yet`;
  }
  return `${from ? `versions from ${from} on` : 'all versions'} are affected; no fixed version yet`;
}

function branchText(branch: RecordBranch): string {
  switch (branch.status) {
    case 'affected':
      return `Branch ${branch.name}: affected; no fixed version yet.`;
    case 'fixed':
      return `Branch ${branch.name}: fixed in ${branch.fixedVersion ?? '(unknown)'}.`;
    case 'not_affected':
      return `Branch ${branch.name}: not affected.`;
    case 'unknown':
      return `Branch ${branch.name}: not yet known whether it is affected.`;
  }
}

interface Target {
  ref: string;
  component: JsonObject;
  versions: JsonObject[];
}

/** Every bom-ref must be unique within the BOM; a second package with the same purl gets a suffix. */
function uniqueRef(wanted: string, taken: Set<string>): string {
  let ref = wanted;
  for (let i = 2; taken.has(ref); i++) ref = `${wanted}#${i}`;
  taken.add(ref);
  return ref;
}

function packageTarget(pkg: RecordPackage, taken: Set<string>): Target {
  const ref = uniqueRef(pkg.purl ?? `${pkg.ecosystem}/${pkg.name}`, taken);
  const versions: JsonObject[] = [];
  for (const range of pkg.ranges) {
    versions.push({ range: versRange(pkg, range), status: 'affected' });
    // The fixed release itself is stated too, so a scanner holding exactly it can close the finding.
    if (range.fixed !== null) versions.push({ version: range.fixed, status: 'unaffected' });
  }
  for (const version of pkg.versions) versions.push({ version, status: 'affected' });
  const component: JsonObject = { type: 'library', 'bom-ref': ref, name: pkg.name };
  if (pkg.purl) component.purl = pkg.purl;
  return { ref, component, versions };
}

/**
 * A project with no package ecosystem: the project is the component, and its release branches
 * stand as its versions (a branch name names a release line, not one release). A fixed branch is
 * stated by its fixed release only: the record does not say where on the branch the flaw began.
 */
function projectTarget(record: AdvisoryRecord, taken: Set<string>): Target {
  const ref = uniqueRef(`project:${record.project.slug}`, taken);
  const versions: JsonObject[] = [];
  for (const branch of record.branches) {
    if (branch.status === 'fixed' && branch.fixedVersion !== null) {
      versions.push({ version: branch.fixedVersion, status: 'unaffected' });
    } else if (branch.status !== 'fixed') {
      const status = { affected: 'affected', not_affected: 'unaffected', unknown: 'unknown' }[branch.status];
      versions.push({ version: branch.name, status });
    }
  }
  const component: JsonObject = {
    type: 'application',
    'bom-ref': ref,
    name: record.project.name,
    supplier: { name: record.project.publisher, url: [record.project.namespace] },
    externalReferences: [{ type: 'website', url: record.project.url }],
  };
  return { ref, component, versions };
}

/**
 * The project's statement about its own software (CISA's VEX statuses as CycloneDX names them:
 * affected = exploitable, fixed = resolved, under investigation = in_triage). A withdrawn advisory
 * was never a vulnerability: false_positive, for every version of every component it named.
 */
function analysis(record: AdvisoryRecord): JsonObject {
  const dates = { firstIssued: record.published, lastUpdated: record.modified };
  if (record.withdrawn !== null) {
    const reason = record.withdrawnReason ? ` ${record.withdrawnReason}` : '';
    return { state: 'false_positive', detail: `Withdrawn on ${record.withdrawn.slice(0, 10)}.${reason}`, ...dates };
  }
  const ranges = record.packages.flatMap((p) => p.ranges);
  const unfixed = ranges.some((r) => r.fixed === null) || record.branches.some((b) => b.status === 'affected');
  const fixed = ranges.some((r) => r.fixed !== null) || record.branches.some((b) => b.status === 'fixed');
  const notAffected =
    ranges.length === 0 && record.branches.length > 0 && record.branches.every((b) => b.status === 'not_affected');
  const state = unfixed ? 'exploitable' : fixed ? 'resolved' : notAffected ? 'not_affected' : 'in_triage';
  const response: string[] = [];
  if ((state === 'exploitable' || state === 'resolved') && fixed) response.push('update');
  if ((state === 'exploitable' || state === 'resolved') && record.sections.mitigations.trim() !== '') {
    response.push('workaround_available');
  }
  const lines: string[] = [];
  for (const pkg of record.packages) {
    for (const range of pkg.ranges) {
      const branch = range.branch === null ? '' : ` on branch ${range.branch}`;
      lines.push(`${pkg.name} (${pkg.ecosystem})${branch}: ${rangeText(range)}.`);
    }
  }
  // With packages, a branch is worth a line only when its ranges do not already say it.
  const described = new Set(ranges.map((r) => r.branch));
  for (const branch of record.branches) if (!described.has(branch.name)) lines.push(branchText(branch));
  if (record.exploited) lines.push('Exploitation in the wild was known at publication.');
  const out: JsonObject = { state };
  if (response.length > 0) out.response = response;
  if (lines.length > 0) out.detail = lines.join('\n');
  return { ...out, ...dates };
}

function ratings(record: AdvisoryRecord, source: JsonObject): JsonObject[] {
  const out: JsonObject[] = record.cvss.map((c) => ({
    source,
    score: c.score,
    severity: severityOf(c.score),
    method: METHOD[c.version],
    vector: c.vector,
  }));
  // The project's own severity word (it may differ from CVSS, or stand alone when there is no vector).
  out.push({
    source,
    severity: record.severity,
    method: 'other',
    justification: `The effective severity ${record.project.publisher} assigned at publication.`,
  });
  return out;
}

function credits(record: AdvisoryRecord): { credits?: JsonObject; tools?: JsonObject } {
  // CycloneDX credits are for the discovery; remediation roles stay in OSV and CSAF.
  const individuals = record.credits
    .filter((c) => c.type === 'FINDER' || c.type === 'REPORTER')
    .map((c) => {
      const person: JsonObject = { name: c.name };
      const email = c.contact.find((x) => x.startsWith('mailto:'));
      if (email) person.email = decodeURIComponent(email.slice('mailto:'.length));
      return person;
    });
  const tools = record.credits
    .filter((c) => c.type === 'TOOL')
    .map((c): JsonObject => ({ type: 'application', name: c.name }));
  return {
    ...(individuals.length > 0 ? { credits: { individuals } } : {}),
    ...(tools.length > 0 ? { tools: { components: tools } } : {}),
  };
}

function sectionsDetail(record: AdvisoryRecord): string | null {
  const sections: [title: string, text: string][] = [
    ['Who is affected', record.sections.affected],
    ['How to check', record.sections.howToCheck],
    ['Detection', record.sections.detection],
  ];
  const parts = sections
    .filter(([, text]) => text.trim() !== '')
    .map(([title, text]) => `## ${title}\n\n${text.trim()}`);
  return parts.length > 0 ? parts.join('\n\n') : null;
}

function vulnerability(record: AdvisoryRecord, targets: Target[]): JsonObject {
  const source: JsonObject = { name: record.project.publisher, url: record.links.page };
  const id = record.cveId ?? record.id;
  const references: JsonObject[] = [];
  if (id !== record.id) references.push({ id: record.id, source });
  for (const alias of record.aliases) {
    if (alias !== id && alias !== record.id) references.push({ id: alias, source: aliasSource(alias) });
  }
  const advisories: JsonObject[] = [{ title: record.summary, url: record.links.page }];
  for (const ref of record.references) {
    if (ref.url !== record.links.page) advisories.push({ title: REFERENCE_TITLE[ref.type], url: ref.url });
  }
  const detail = sectionsDetail(record);
  const { credits: credited, tools } = credits(record);
  const v: JsonObject = { 'bom-ref': record.id, id, source };
  if (references.length > 0) v.references = references;
  v.ratings = ratings(record, source);
  if (record.cwes.length > 0) v.cwes = record.cwes.map((c) => c.id);
  v.description = record.details;
  if (detail !== null) v.detail = detail;
  if (record.sections.upgrade.trim() !== '') v.recommendation = record.sections.upgrade;
  if (record.sections.mitigations.trim() !== '') v.workaround = record.sections.mitigations;
  v.advisories = advisories;
  v.created = record.published;
  v.published = record.published;
  v.updated = record.modified;
  if (record.withdrawn !== null) v.rejected = record.withdrawn;
  if (credited) v.credits = credited;
  if (tools) v.tools = tools;
  v.analysis = analysis(record);
  v.affects = targets.map((t): JsonObject =>
    // Withdrawn: the whole component is cleared, not the versions the advisory once named.
    record.withdrawn !== null || t.versions.length === 0 ? { ref: t.ref } : { ref: t.ref, versions: t.versions },
  );
  if (record.exploited) v.properties = [{ name: 'embargo:exploited-in-the-wild', value: 'true' }];
  return v;
}

/**
 * The CycloneDX 1.6 VEX of an advisory. The serial number is a UUID v5 of the advisory page's URL,
 * the same for every revision, and `version` is the revision number: CycloneDX reads a BOM with
 * the same serial number and a higher version as the newer edition of the same document.
 */
export function toCycloneDxVex(record: AdvisoryRecord): object {
  const taken = new Set<string>([record.id]);
  const targets =
    record.packages.length > 0 ? record.packages.map((p) => packageTarget(p, taken)) : [projectTarget(record, taken)];
  const revision = record.revisions.at(-1)?.number ?? 1;
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${uuidV5(record.links.page)}`,
    version: revision,
    metadata: {
      timestamp: record.modified,
      supplier: { name: record.project.publisher, url: [record.project.namespace] },
    },
    components: targets.map((t) => t.component),
    vulnerabilities: [vulnerability(record, targets)],
  };
}
