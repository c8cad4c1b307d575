import type { DbOrTrx } from '../../db/types.js';
import type { CaseAffected } from '../cases/affected.service.js';
import { caseAffected } from '../cases/affected.service.js';
import type { Case } from '../cases/cases.js';
import { caseSeverity } from '../severity/case-severity.service.js';

// What the notices and announcements say of a case besides the team's prose, computed from the case
// as it stands: its severity in words, what is affected, where it is fixed, and the names of the
// affected components (the only thing of the case a "fix forthcoming" notice names).

export interface CaseFacts {
  /** "high (CVSS 3.1 8.1; exploited in the wild)": the effective severity and the highest score. */
  severity: string;
  /** The effective severity word alone. */
  severityWord: string;
  affectedVersions: string[];
  fixedVersions: string[];
  /** Affected packages and supported branches, by name. */
  components: string[];
}

function range(r: { introduced: string; fixed: string | null; lastAffected: string | null }): string {
  const from = r.introduced === '0' ? 'every version' : `>= ${r.introduced}`;
  if (r.fixed) return `${from}, < ${r.fixed}`;
  if (r.lastAffected) return `${from}, <= ${r.lastAffected}`;
  return from;
}

/** The lines of the affected and fixed lists, from the case's branches and packages. */
export function versionLines(
  affected: CaseAffected,
): Pick<CaseFacts, 'affectedVersions' | 'fixedVersions' | 'components'> {
  const affectedVersions: string[] = [];
  const fixedVersions: string[] = [];
  const components: string[] = [];
  for (const b of affected.branches) {
    if (!b.supported) continue;
    if (b.status === 'affected') {
      affectedVersions.push(`${b.name} branch`);
      components.push(`${b.name} branch`);
    }
    if (b.status === 'fixed' && b.fixedVersion) {
      fixedVersions.push(`${b.name} branch: ${b.fixedVersion}`);
      components.push(`${b.name} branch`);
    }
  }
  for (const p of affected.packages) {
    const name = `${p.name} (${p.ecosystem})`;
    components.push(name);
    for (const r of p.ranges) {
      const where = `${name}${r.branchName ? ` on the ${r.branchName} branch` : ''}`;
      affectedVersions.push(`${where}: ${range(r)}`);
      if (r.fixed) fixedVersions.push(`${where}: ${r.fixed}`);
    }
  }
  return { affectedVersions, fixedVersions, components: [...new Set(components)] };
}

/** The case's facts now. Embargoed until the release (components: until the public notice). */
export async function caseFacts(db: DbOrTrx, theCase: Case, now: Date): Promise<CaseFacts> {
  const severity = await caseSeverity(db, theCase);
  const score = severity.highestCvss;
  const scored = [severity.cvss.v40, severity.cvss.v31, severity.cvss.imported].find(
    (s) => s !== null && s.overall.score === score,
  );
  const notes = [
    scored && score !== null ? `CVSS ${scored.version} ${score.toFixed(1)}` : null,
    severity.exploitation.exploitedInTheWild ? 'exploited in the wild' : null,
    !severity.exploitation.exploitedInTheWild && severity.exploitation.publicExploit ? 'public exploit' : null,
  ].filter((n): n is string => n !== null);
  const word = severity.effective.severity === 'none' ? 'unrated' : severity.effective.severity;
  return {
    severity: notes.length ? `${word} (${notes.join('; ')})` : word,
    severityWord: word,
    ...versionLines(await caseAffected(db, theCase, now)),
  };
}
