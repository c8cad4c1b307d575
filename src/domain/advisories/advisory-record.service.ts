import type { DbOrTrx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { csafPath } from '../../formats/csaf-provider.js';
import { csafVexTrackingId } from '../../formats/csaf-vex.js';
import type { Case } from '../cases/cases.js';
import { caseAffected } from '../cases/affected.service.js';
import { defaultPurl } from '../cases/ecosystems.js';
import type { Project } from '../projects/projects.js';
import { caseSeverity } from '../severity/case-severity.service.js';
import type { CvssScore } from '../severity/cvss.js';
import type { Advisory } from './advisories.js';
import type {
  AdvisoryRecord,
  RecordBranch,
  RecordCvss,
  RecordPackage,
  RecordReference,
  RecordRevision,
} from './advisory-record.js';
import { getSecuritySettings } from './security-settings.service.js';

// Builds the public record of an advisory from its case as it stands: at the go (revision 1) and
// at each revision. Only what is public after the release goes in: the team's advisory text, the
// severity, CWEs, what is affected and fixed; never the report, the patches or the team's notes.

type RecordDeps = Pick<Deps, 'config'>;

/** Where the instance's CSAF provider keeps its TLP:WHITE documents (CSAF 2.0 7.1.16), below its public URL. */
export const CSAF_DIRECTORY = '/.well-known/csaf/white';

/** The instance's public URL without a trailing slash. */
export const baseUrl = (deps: RecordDeps) => deps.config.publicUrl.toString().replace(/\/+$/, '');

/** The stable URLs of an advisory's page and formats. CSAF documents live in the provider's directory (CSAF 7.1.16). */
export function advisoryLinks(
  deps: RecordDeps,
  input: { slug: string; publicId: string; published: string },
): AdvisoryRecord['links'] {
  const base = baseUrl(deps);
  const page = `${base}/p/${input.slug}/advisories/${input.publicId}`;
  return {
    page,
    osv: `${page}/osv.json`,
    cve: `${page}/cve.json`,
    csaf: `${base}${CSAF_DIRECTORY}/${csafPath(input.publicId, input.published)}`,
    csafVex: `${base}${CSAF_DIRECTORY}/${csafPath(csafVexTrackingId({ id: input.publicId } as AdvisoryRecord), input.published)}`,
    cyclonedx: `${page}/cyclonedx-vex.json`,
  };
}

function recordCvss(score: CvssScore | null): RecordCvss[] {
  if (!score || (score.version !== '3.1' && score.version !== '4.0')) return [];
  return [
    {
      version: score.version,
      vector: score.vector,
      score: score.overall.score,
      baseScore: score.base.score,
      baseSeverity: score.base.rating.toUpperCase() as RecordCvss['baseSeverity'],
    },
  ];
}

/** The case's aliases with the CVE id first, once each. */
export function orderedAliases(cveId: string | null, aliases: readonly string[]): string[] {
  return [...new Set([...(cveId ? [cveId] : []), ...aliases])];
}

export interface RecordInput {
  theCase: Case;
  project: Project;
  advisory: Advisory;
  /** The advisory's public id and publication time (already assigned). */
  publicId: string;
  published: string;
  modified: string;
  withdrawn: { at: string; reason: string } | null;
  revisions: RecordRevision[];
}

export async function buildAdvisoryRecord(db: DbOrTrx, deps: RecordDeps, input: RecordInput): Promise<AdvisoryRecord> {
  const { theCase, project, advisory } = input;
  const [severity, affected, settings] = await Promise.all([
    caseSeverity(db, theCase),
    caseAffected(db, theCase, new Date(input.published)),
    getSecuritySettings(db, project.id),
  ]);
  const packages: RecordPackage[] = affected.packages.map((p) => ({
    ecosystem: p.ecosystem,
    name: p.name,
    // A package entered without its purl still gets the obvious one (pkg:npm/name ...): scanners match on it.
    purl: p.purl ?? defaultPurl(p.ecosystem, p.name),
    ranges: p.ranges.map((r) => ({
      branch: r.branchName,
      introduced: r.introduced,
      fixed: r.fixed,
      lastAffected: r.lastAffected,
    })),
    versions: p.versions,
  }));
  // Branches whose support ended and about which nobody said anything are not part of the story.
  const branches: RecordBranch[] = affected.branches
    .filter((b) => b.supported || b.status !== 'unknown')
    .map((b) => ({ name: b.name, status: b.status, fixedVersion: b.fixedVersion }));
  const cna = settings.cveSource === 'cna' && deps.config.cveServices?.orgId ? deps.config.cveServices : null;
  const links = advisoryLinks(deps, { slug: project.slug, publicId: input.publicId, published: input.published });
  const references: RecordReference[] = [
    { type: 'ADVISORY', url: links.page },
    ...advisory.references.filter((r) => r.url !== links.page),
  ];
  return {
    id: input.publicId,
    aliases: orderedAliases(advisory.cveId, advisory.aliases),
    cveId: advisory.cveId,
    related: advisory.related,
    project: {
      name: project.name,
      slug: project.slug,
      url: `${baseUrl(deps)}/p/${project.slug}`,
      publisher: settings.publisherName ?? project.name,
      namespace: baseUrl(deps),
      cna: cna?.orgId ? { orgId: cna.orgId, shortName: cna.org } : null,
    },
    summary: advisory.summary,
    details: advisory.details,
    sections: {
      affected: advisory.affected,
      howToCheck: advisory.howToCheck,
      upgrade: advisory.upgrade,
      mitigations: advisory.mitigations,
      detection: advisory.detection,
    },
    published: input.published,
    modified: input.modified,
    withdrawn: input.withdrawn?.at ?? null,
    withdrawnReason: input.withdrawn?.reason ?? null,
    severity: severity.effective.severity,
    cvss: [...recordCvss(severity.cvss.v31), ...recordCvss(severity.cvss.v40)],
    exploited: severity.exploitation.exploitedInTheWild,
    cwes: severity.cwes.map((c) => ({ id: c.id, name: c.name })),
    packages,
    branches,
    references,
    credits: advisory.credits.map((c) => ({ name: c.name, type: c.type, contact: c.contact ?? [] })),
    revisions: input.revisions,
    links,
  };
}
