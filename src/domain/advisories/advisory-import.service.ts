import { iso } from '../../clock.js';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError, isDomainError } from '../../errors.js';
import type { ImportedAdvisory } from '../../formats/imported-advisory.js';
import { type Actor, actorLabel } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { setPackageVersions } from '../cases/affected.repository.js';
import { addPackage, addRange } from '../cases/affected.service.js';
import type { Case } from '../cases/cases.js';
import { insertHistory } from '../cases/cases.repository.js';
import { openCase } from '../cases/cases.service.js';
import { newId } from '../ids.js';
import type { Project } from '../projects/projects.js';
import { addCaseCwe, updateCaseSeverity } from '../severity/case-severity.service.js';
import type { SeverityChanges } from '../severity/case-severity.js';
import type { Credit } from './advisories.js';
import { saveAdvisoryDraft, saveAdvisoryMeta } from './advisories.service.js';
import { CVE_ID } from './cve-ids.service.js';
import { setAdvisoryCve } from './cve-ids.repository.js';

/*
 * Opens a case from an upstream advisory (an OSV or CVE JSON 5 record read by src/formats/): its
 * packages and ranges, CVSS vectors, CWEs, the advisory draft (summary, details, credits), its ids
 * and references. All of it in the caller's transaction, so an import is whole or absent. What
 * the case cannot hold (a GIT range, an unknown ecosystem or CWE, a listed version) becomes a
 * warning, written in the case's history and returned, never a silent loss. Callers check
 * 'case.import'.
 */

const TITLE_MAX = 300;
/** Versions listed one by one per package: OSV records of long-lived packages list hundreds. */
const MAX_VERSIONS = 2000;

export interface ImportResult {
  theCase: Case;
  warnings: string[];
}

const why = (err: unknown) => (isDomainError(err) ? err.message : String(err));

export async function importAdvisory(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: { actor: Actor; origin: RequestOrigin; project: Project; imported: ImportedAdvisory },
): Promise<ImportResult> {
  const { imported, actor, origin } = input;
  const warnings = [...imported.warnings];
  const title = (imported.summary || imported.sourceId || 'Imported advisory').replace(/\s+/g, ' ').slice(0, TITLE_MAX);
  const theCase = await openCase(trx, deps, {
    actor,
    origin,
    projectId: input.project.id,
    title,
    auditDetail: { importedFrom: imported.source, sourceId: imported.sourceId },
  });
  const change = { actor, origin, theCase };

  for (const p of imported.packages) {
    let pkg;
    try {
      pkg = await addPackage(trx, deps, { ...change, ecosystem: p.ecosystem, name: p.name, purl: p.purl });
    } catch (err) {
      warnings.push(`The package ${p.name} (${p.ecosystem}) was not added: ${why(err)}`);
      continue;
    }
    for (const r of p.ranges) {
      try {
        await addRange(trx, deps, {
          ...change,
          packageId: pkg.id,
          introduced: r.introduced,
          fixed: r.fixed,
          lastAffected: r.lastAffected,
          branchId: null,
        });
      } catch (err) {
        warnings.push(`A range of ${p.name} (from ${r.introduced}) was not added: ${why(err)}`);
      }
    }
    if (p.versions.length) await setPackageVersions(trx, pkg.id, p.versions.slice(0, MAX_VERSIONS));
    if (p.versions.length > MAX_VERSIONS) {
      warnings.push(
        `${p.name} (${p.ecosystem}) listed ${p.versions.length} versions; the first ${MAX_VERSIONS} are kept.`,
      );
    }
  }

  const severity: SeverityChanges = {};
  for (const vector of imported.cvssVectors) {
    if (vector.startsWith('CVSS:3.1/') && severity.cvssV31 === undefined) severity.cvssV31 = vector;
    else if (vector.startsWith('CVSS:4.0/') && severity.cvssV40 === undefined) severity.cvssV40 = vector;
    else if (
      severity.cvssImported === undefined &&
      !vector.startsWith('CVSS:3.1/') &&
      !vector.startsWith('CVSS:4.0/')
    ) {
      severity.cvssImported = vector;
    } else warnings.push(`The CVSS vector ${vector} was not kept: the case holds one of each version.`);
  }
  if (Object.keys(severity).length) {
    try {
      await updateCaseSeverity(trx, deps, {
        ...change,
        changes: severity,
        reason: `Imported from ${imported.sourceId || imported.source}.`,
      });
    } catch (err) {
      warnings.push(`The CVSS vectors were not kept: ${why(err)}`);
    }
  }
  for (const cwe of imported.cwes) {
    try {
      await addCaseCwe(trx, deps, { ...change, cwe });
    } catch (err) {
      warnings.push(`CWE-${cwe} was not added: ${why(err)}`);
    }
  }

  const credits: Credit[] = imported.credits.map((c) => ({
    name: c.name,
    type: c.type,
    ...(c.contact.length ? { contact: c.contact } : {}),
  }));
  await saveAdvisoryDraft(trx, deps, {
    actor,
    origin,
    theCase,
    text: {
      summary: title,
      details: imported.details,
      affected: '',
      howToCheck: '',
      upgrade: '',
      mitigations: '',
      detection: '',
      credits,
    },
  });
  const ids = [imported.sourceId, ...imported.aliases].filter(Boolean);
  const cveId = ids.find((id) => CVE_ID.test(id)) ?? null;
  const aliases = [...new Set(ids.filter((id) => !CVE_ID.test(id)))];
  await saveAdvisoryMeta(trx, deps, {
    actor,
    origin,
    theCase,
    meta: { aliases, related: imported.related, references: imported.references },
  });
  if (cveId) {
    // The id was assigned upstream, by the CNA that published the record: it is the vulnerability's.
    await setAdvisoryCve(trx, theCase.id, {
      cve_id: cveId,
      cve_requested_from: `the upstream advisory ${imported.sourceId || cveId}`,
      cve_requested_at: iso(deps.clock.now()),
    });
  }
  if (imported.withdrawn) warnings.push(`The upstream advisory was withdrawn on ${imported.withdrawn}.`);
  await insertHistory(trx, {
    id: newId(),
    case_id: theCase.id,
    project_id: theCase.projectId,
    at: iso(deps.clock.now()),
    actor_user_id: actor.kind === 'user' ? actor.userId : null,
    actor_label: actorLabel(actor),
    change: 'case.imported',
    previous: null,
    value: JSON.stringify({ source: imported.source, id: imported.sourceId, warnings }),
    reason: null,
  });
  return { theCase, warnings };
}

/** The reader of a format by name, for the import form and API. */
export function importFormat(raw: unknown): 'osv' | 'cve5' {
  if (raw === 'osv' || raw === 'cve5') return raw;
  throw new DomainError('VALIDATION_FAILED', 'The format is osv or cve5.', { field: 'format' });
}
