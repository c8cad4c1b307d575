import { ADVISORY_SECTION_TITLES } from '../../domain/advisories/advisories.js';
import type { AdvisoryRecord, RecordPackage, RecordRange } from '../../domain/advisories/advisory-record.js';
import type { Project } from '../../domain/projects/projects.js';
import { Markdown } from '../views/markdown.js';
import { pathOf } from './public-advisory-list.js';
import { PublicDate, PublicNav } from './public-project.js';

// One published advisory, rendered from its public record only (the record is all a format
// exporter sees, so the page can say nothing the downloads do not). A withdrawn advisory keeps its
// page, under a banner with the reason; an older revision is shown with a pointer to the current one.

const SECTION_ORDER = ['affected', 'howToCheck', 'upgrade', 'mitigations', 'detection'] as const;

const words = (type: string) => type.toLowerCase().replace(/_/g, ' ');

export interface AdvisoryViewProps {
  project: Project;
  record: AdvisoryRecord;
  /** The current record's revisions (the history is always the whole one). */
  history: AdvisoryRecord['revisions'];
  /** The revision shown when it is not the current one. */
  revision: number | null;
  /** Whether the CSAF documents have `.asc` signatures (the project has a key). */
  signed: boolean;
  /** The release announcement of the advisory's case, a public page of its own. */
  announcementId: string | null;
}

function rangeWords(r: RecordRange): string {
  const from = r.introduced === '0' ? 'every version' : `>= ${r.introduced}`;
  if (r.fixed) return `${from}, < ${r.fixed}`;
  if (r.lastAffected) return `${from}, <= ${r.lastAffected}`;
  return from;
}

/** The affected and fixed lists in the words of the announcements (release/case-facts.ts), from the record. */
function versionLines(record: AdvisoryRecord): { affected: string[]; fixed: string[] } {
  const affected: string[] = [];
  const fixed: string[] = [];
  for (const b of record.branches) {
    if (b.status === 'affected') affected.push(`${b.name} branch`);
    if (b.status === 'fixed' && b.fixedVersion) fixed.push(`${b.name} branch: ${b.fixedVersion}`);
  }
  for (const p of record.packages) {
    for (const r of p.ranges) {
      const where = `${p.name} (${p.ecosystem})${r.branch ? ` on the ${r.branch} branch` : ''}`;
      affected.push(`${where}: ${rangeWords(r)}`);
      if (r.fixed) fixed.push(`${where}: ${r.fixed}`);
    }
  }
  return { affected, fixed };
}

function Lines({ lines, name }: { lines: string[]; name: string }) {
  if (lines.length === 0) return <p class="muted">See the details below.</p>;
  return (
    <ul data-versions={name}>
      {lines.map((l) => (
        <li key={l}>{l}</li>
      ))}
    </ul>
  );
}

function rangeText(r: RecordRange): string {
  const from = r.introduced === '0' ? 'every version' : `from ${r.introduced}`;
  if (r.fixed) return `${from}, fixed in ${r.fixed}`;
  if (r.lastAffected) return `${from} through ${r.lastAffected}`;
  return `${from}, not fixed`;
}

function PackageRow({ pkg }: { pkg: RecordPackage }) {
  const fixed = [...new Set(pkg.ranges.flatMap((r) => (r.fixed ? [r.fixed] : [])))];
  return (
    <tr data-package={`${pkg.ecosystem}/${pkg.name}`}>
      <td>{pkg.ecosystem}</td>
      <td>
        <code>{pkg.name}</code>
      </td>
      <td>{pkg.purl ? <code>{pkg.purl}</code> : <span class="muted">none</span>}</td>
      <td>
        <ul>
          {pkg.ranges.map((r, i) => (
            <li key={i}>
              {r.branch ? <strong>{r.branch}: </strong> : null}
              {rangeText(r)}
            </li>
          ))}
          {pkg.versions.length > 0 ? <li>versions {pkg.versions.join(', ')}</li> : null}
        </ul>
      </td>
      <td data-fixed>{fixed.length > 0 ? fixed.join(', ') : <span class="muted">none yet</span>}</td>
    </tr>
  );
}

function Downloads({ record, revision, signed }: Pick<AdvisoryViewProps, 'record' | 'revision' | 'signed'>) {
  const at = revision === null ? '' : `?revision=${revision}`;
  const csaf = (url: string, label: string) => (
    <li>
      <a href={`${pathOf(url)}${at}`} data-download={label}>
        {label}
      </a>{' '}
      <span class="muted">
        (<a href={`${pathOf(url)}.sha256`}>SHA-256</a>, <a href={`${pathOf(url)}.sha512`}>SHA-512</a>
        {signed ? (
          <>
            , <a href={`${pathOf(url)}.asc`}>signature</a>
          </>
        ) : null}
        )
      </span>
    </li>
  );
  return (
    <ul data-downloads>
      <li>
        <a href={`${pathOf(record.links.osv)}${at}`} data-download="OSV">
          OSV
        </a>
      </li>
      {record.cveId ? (
        <li>
          <a href={`${pathOf(record.links.cve)}${at}`} data-download="CVE JSON 5">
            CVE JSON 5
          </a>
        </li>
      ) : null}
      {csaf(record.links.csaf, 'CSAF 2.0 advisory')}
      {csaf(record.links.csafVex, 'CSAF 2.0 VEX')}
      <li>
        <a href={`${pathOf(record.links.cyclonedx)}${at}`} data-download="CycloneDX VEX">
          CycloneDX 1.6 VEX
        </a>
      </li>
    </ul>
  );
}

export function AdvisoryView({ project, record, history, revision, signed, announcementId }: AdvisoryViewProps) {
  const lines = versionLines(record);
  const cve = record.aliases.filter((a) => a.startsWith('CVE-'));
  const aliases = [...cve, ...record.aliases.filter((a) => !a.startsWith('CVE-'))];
  return (
    <article class="public-advisory" data-advisory={record.id}>
      <PublicNav project={project} current="advisories" />
      {record.withdrawn ? (
        <div class="notice error" data-withdrawn role="alert">
          <strong>Withdrawn</strong> on <PublicDate at={record.withdrawn} />: {record.withdrawnReason ?? ''}
        </div>
      ) : null}
      {revision !== null ? (
        <div class="notice" data-old-revision={revision}>
          This is revision {revision} of the advisory. <a href={pathOf(record.links.page)}>See the current revision</a>.
        </div>
      ) : null}
      <h1>{record.summary}</h1>
      <p class="muted">
        <code data-public-id>{record.id}</code>
        {aliases.length > 0 ? <span data-aliases> · {aliases.join(', ')}</span> : null} · published{' '}
        <PublicDate at={record.published} />
        {record.modified !== record.published ? (
          <>
            {' '}
            · modified <PublicDate at={record.modified} />
          </>
        ) : null}
        {announcementId ? (
          <>
            {' '}
            · <a href={`/p/${project.slug}/announcements/${announcementId}`}>release announcement</a>
          </>
        ) : null}
      </p>

      <h2>Severity</h2>
      <p>
        <span class={`badge sev-${record.severity}`} data-severity>
          {record.severity}
        </span>
        {record.exploited ? (
          <>
            {' '}
            <span class="badge" data-exploited>
              exploited in the wild
            </span>
          </>
        ) : null}
      </p>
      {record.cvss.length > 0 ? (
        <table data-cvss>
          <thead>
            <tr>
              <th>CVSS</th>
              <th>Score</th>
              <th>Vector</th>
            </tr>
          </thead>
          <tbody>
            {record.cvss.map((c) => (
              <tr key={c.vector}>
                <th scope="row">{c.version}</th>
                <td>
                  <strong>{c.score.toFixed(1)}</strong>{' '}
                  <span class={`badge sev-${c.baseSeverity.toLowerCase()}`}>{c.baseSeverity}</span>
                </td>
                <td>
                  <code class="vector">{c.vector}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {record.cwes.length > 0 ? (
        <ul data-cwes>
          {record.cwes.map((c) => (
            <li key={c.id}>
              <a href={`https://cwe.mitre.org/data/definitions/${c.id}.html`}>CWE-{c.id}</a>: {c.name}
            </li>
          ))}
        </ul>
      ) : null}

      <h2>Affected versions</h2>
      <Lines lines={lines.affected} name="affected" />
      <h2>Fixed versions</h2>
      <Lines lines={lines.fixed} name="fixed" />

      {record.details.trim() !== '' ? (
        <section data-section="details">
          <h2>{ADVISORY_SECTION_TITLES.details}</h2>
          <Markdown source={record.details} />
        </section>
      ) : null}

      {record.packages.length > 0 ? (
        <section data-section="packages">
          <h2>Affected packages</h2>
          <table data-packages>
            <thead>
              <tr>
                <th>Ecosystem</th>
                <th>Package</th>
                <th>purl</th>
                <th>Affected</th>
                <th>Fixed in</th>
              </tr>
            </thead>
            <tbody>
              {record.packages.map((p) => (
                <PackageRow key={`${p.ecosystem}/${p.name}`} pkg={p} />
              ))}
            </tbody>
          </table>
        </section>
      ) : null}

      {record.branches.length > 0 ? (
        <section data-section="branches">
          <h2>Release branches</h2>
          <table data-branches>
            <thead>
              <tr>
                <th>Branch</th>
                <th>Status</th>
                <th>Fixed in</th>
              </tr>
            </thead>
            <tbody>
              {record.branches.map((b) => (
                <tr key={b.name} data-branch={b.name}>
                  <td>{b.name}</td>
                  <td>{words(b.status)}</td>
                  <td>{b.fixedVersion ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}

      {SECTION_ORDER.filter((key) => record.sections[key].trim() !== '').map((key) => (
        <section key={key} data-section={key}>
          <h2>{ADVISORY_SECTION_TITLES[key]}</h2>
          <Markdown source={record.sections[key]} />
        </section>
      ))}

      {record.references.length > 0 ? (
        <section data-section="references">
          <h2>References</h2>
          <ul>
            {record.references.map((r) => (
              <li key={r.url}>
                <a href={r.url} rel="nofollow noopener noreferrer">
                  {r.url}
                </a>{' '}
                <span class="muted">({words(r.type)})</span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      {record.credits.length > 0 ? (
        <section data-section="credits">
          <h2>Credits</h2>
          <ul>
            {record.credits.map((c, i) => (
              <li key={i}>
                {c.name} <span class="muted">({words(c.type)})</span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      <section data-section="downloads">
        <h2>Download</h2>
        <Downloads record={record} revision={revision} signed={signed} />
      </section>

      <section data-section="revisions">
        <h2>Revision history</h2>
        <ol data-revisions>
          {history.map((r) => (
            <li key={r.number} data-revision={r.number}>
              <PublicDate at={r.date} />: {r.summary}
              {r.number !== (revision ?? history.at(-1)?.number) ? (
                <>
                  {' '}
                  <a href={`${pathOf(record.links.page)}?revision=${r.number}`}>view</a>
                </>
              ) : (
                <span class="muted"> (shown)</span>
              )}
            </li>
          ))}
        </ol>
      </section>
    </article>
  );
}
