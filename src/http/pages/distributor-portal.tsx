import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import { ADVISORY_PROSE_FIELDS, ADVISORY_SECTION_TITLES } from '../../domain/advisories/advisories.js';
import type { DistributorMessageKind, DistributorProgram } from '../../domain/distributors/distributors.js';
import { acceptTerms } from '../../domain/distributors/distributors.service.js';
import {
  ackLink,
  acknowledgeAsContact,
  acknowledgeByLink,
  noticeSubject,
} from '../../domain/distributors/notices.service.js';
import {
  distributorSubject,
  downloadNoticePatch,
  type PortalListEntry,
  portalNotice,
  portalNoticeList,
  type PortalNoticeView,
  type PortalOrganisation,
  portalOrganisations,
} from '../../domain/distributors/portal.service.js';
import { getProgram } from '../../domain/distributors/program.service.js';
import { DomainError } from '../../errors.js';
import type { Actor } from '../../policies/actor.js';
import { type Action, can, type Subject } from '../../policies/policy.js';
import { requireUser } from '../plugins/auth.js';
import { statusOf } from '../plugins/errors.js';
import { CsrfField } from '../views/layout.js';
import { renderMarkdown } from '../views/markdown.js';
import { UtcTime } from './case-embargo.js';
import { sendAttachment } from './download.js';
import { ErrorNotice, field } from './forms.js';
import { requireSignIn } from './require-user.js';

// The distributor portal (issue 5): a contact of a distributor reads the notices sent to their own
// organisations, downloads the patches, acknowledges receipt and accepts the programme's terms.
// A notice exists only once sent, so before the notice day there is nothing to show. The one-time
// acknowledgement link of the mail works without signing in: its token is the credential.

/**
 * Admits a live contact of the subject's distributor. Anyone else, a member of the project
 * included (to whom `authorize` would answer FORBIDDEN), gets NOT_FOUND: a notice, or a
 * distributor, is not even confirmed to exist to someone who is not its contact.
 */
function admitContact(actor: Actor, action: Action, subject: Subject): void {
  if (can(actor, action, subject)) return;
  throw new DomainError(actor.kind === 'anonymous' ? 'AUTH_REQUIRED' : 'NOT_FOUND');
}

const MESSAGE_WORDS: Record<DistributorMessageKind, string> = {
  notice: 'The notice, with the advisory draft and the patches',
  prerelease: 'Release in 24 hours',
  revision: 'The release moved',
  broken: 'The embargo is broken',
  released: 'Released',
  cancelled: 'The release is postponed',
};

const creditWords = (type: string) => type.toLowerCase().replace(/_/g, ' ');

function TermsStatus({ org }: { org: PortalOrganisation }) {
  if (org.acceptedCurrentTerms) {
    return (
      <span data-accepted="yes">
        Accepted (version {org.termsVersion}) <UtcTime at={org.acceptedAt} />
      </span>
    );
  }
  return (
    <span data-accepted="no">
      <span class="badge">not accepted</span>{' '}
      {org.lastAcceptance ? (
        <span class="muted">
          (version {org.lastAcceptance.termsVersion} was; the terms are now at version {org.termsVersion})
        </span>
      ) : null}{' '}
      <a href={`/distributor/terms/${org.distributorId}`}>Read and accept the terms</a>
    </span>
  );
}

export function PortalPage({ orgs, notices }: { orgs: PortalOrganisation[]; notices: PortalListEntry[] }) {
  return (
    <section>
      <h1>Distributor portal</h1>
      <p class="muted">
        The notices your organisations were sent ahead of a release, under embargo. A notice appears here when it is
        sent, not before.
      </p>
      <h2>Your organisations</h2>
      {orgs.length === 0 ? (
        <p class="muted">You are not a contact of any distributor.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Organisation</th>
              <th>Project</th>
              <th>Embargo terms</th>
            </tr>
          </thead>
          <tbody>
            {orgs.map((o) => (
              <tr key={o.distributorId} data-organisation={o.distributorId}>
                <td>{o.distributorName}</td>
                <td>{o.projectName}</td>
                <td>
                  <TermsStatus org={o} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Notices</h2>
      {notices.length === 0 ? (
        <p class="muted" data-no-notices>
          No notice was sent to your organisations yet.
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Project</th>
              <th>Case</th>
              <th>To</th>
              <th>Notified</th>
              <th>Acknowledged</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {notices.map((n) => (
              <tr key={n.id} data-notice={n.id}>
                <td>{n.projectName}</td>
                <td>
                  <a href={`/distributor/notices/${n.id}`}>Case {n.caseNumber}</a>
                </td>
                <td>{n.distributorName}</td>
                <td>
                  <UtcTime at={n.notifiedAt} />
                </td>
                <td data-acknowledged={n.acknowledgedAt ? 'yes' : 'no'}>
                  {n.acknowledgedAt ? <UtcTime at={n.acknowledgedAt} /> : <span class="badge">not yet</span>}
                </td>
                <td data-released={n.released ? 'yes' : 'no'}>
                  {n.released ? 'released' : <span class="badge embargoed">embargoed</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Banner({ view }: { view: PortalNoticeView }) {
  if (view.released) {
    return (
      <p class="notice" role="status" data-banner="released">
        Released: the advisory is public{view.advisoryUrl ? ' at ' : '.'}
        {view.advisoryUrl ? <a href={view.advisoryUrl}>{view.advisoryUrl}</a> : null}
      </p>
    );
  }
  const moved = view.releaseAt !== view.snapshot.releaseAt;
  return (
    <div class="notice embargoed" role="status" data-banner="embargoed">
      <p>
        <strong>
          Embargoed until <UtcTime at={view.releaseAt} />
        </strong>
        {moved ? (
          <span class="muted">
            {' '}
            (the notice said <UtcTime at={view.snapshot.releaseAt} />; the release moved since)
          </span>
        ) : null}
        . Share it only with the people who prepare your update, and publish nothing about it before then.
      </p>
      {view.embargoBroken ? (
        <p data-broken>The embargo is broken: the fix will be released as soon as possible.</p>
      ) : null}
    </div>
  );
}

function Acknowledgement({ view, csrf }: { view: PortalNoticeView; csrf: string }) {
  const pending = view.recipients.filter((r) => r.acknowledgedAt === null);
  if (view.recipients.length === 0) return null;
  if (pending.length === 0) {
    const first = view.recipients.map((r) => r.acknowledgedAt ?? '').sort()[0] ?? null;
    return (
      <p data-acknowledged="yes">
        You acknowledged receipt <UtcTime at={first} />.
      </p>
    );
  }
  return (
    <form method="post" action={`/distributor/notices/${view.id}/ack`} data-acknowledged="no">
      <CsrfField token={csrf} />
      <button type="submit">Acknowledge receipt</button>
    </form>
  );
}

export function NoticePage({ view, csrf }: { view: PortalNoticeView; csrf: string }) {
  const s = view.snapshot;
  const prose = ADVISORY_PROSE_FIELDS.filter((f) => s.advisory[f]);
  const base = `/distributor/notices/${view.id}`;
  return (
    <section data-notice={view.id}>
      <p>
        <a href="/distributor">Distributor portal</a>
      </p>
      <h1>
        {view.projectName}: case {view.caseNumber}
      </h1>
      <p class="muted">
        Sent to {view.distributorName} <UtcTime at={view.notifiedAt} />.
      </p>
      <Banner view={view} />
      <Acknowledgement view={view} csrf={csrf} />
      <h2>{s.advisory.summary}</h2>
      <dl class="facts">
        <dt>Severity</dt>
        <dd>{s.severity}</dd>
        <dt>Affected</dt>
        <dd>
          {s.affectedVersions.length ? (
            <ul>
              {s.affectedVersions.map((v) => (
                <li key={v}>{v}</li>
              ))}
            </ul>
          ) : (
            <span class="muted">not given</span>
          )}
        </dd>
        <dt>Fixed in</dt>
        <dd>
          {s.fixedVersions.length ? (
            <ul>
              {s.fixedVersions.map((v) => (
                <li key={v}>{v}</li>
              ))}
            </ul>
          ) : (
            <span class="muted">not given</span>
          )}
        </dd>
      </dl>
      {prose.map((f) => (
        <section key={f} data-section={f}>
          <h3>{ADVISORY_SECTION_TITLES[f]}</h3>
          {/* Safe: renderMarkdown escapes raw HTML and vets link URLs. */}
          <div class="markdown" dangerouslySetInnerHTML={{ __html: renderMarkdown(s.advisory[f]) }} />
        </section>
      ))}
      {s.advisory.credits.length ? (
        <>
          <h3>Credits</h3>
          <ul>
            {s.advisory.credits.map((c) => (
              <li key={`${c.name}-${c.type}`}>
                {c.name} ({creditWords(c.type)})
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <h2>Patches</h2>
      {s.patches.length === 0 ? (
        <p class="muted">No patch was sent with this notice.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>File</th>
              <th>Branch</th>
              <th>SHA-256</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {s.patches.map((p) => (
              <tr key={p.id} data-patch={p.id}>
                <td>
                  <code>{p.filename}</code>
                </td>
                <td>{p.branchName}</td>
                <td>
                  <code>{p.sha256}</code>
                </td>
                <td>
                  <a href={`${base}/patches/${p.id}`} download={p.filename}>
                    Download
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Messages sent to you</h2>
      {view.messages.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Sent</th>
              <th>About</th>
            </tr>
          </thead>
          <tbody>
            {view.messages.map((m, i) => (
              <tr key={`${m.kind}-${i}`} data-message={m.kind}>
                <td>
                  <UtcTime at={m.at} />
                </td>
                <td>{MESSAGE_WORDS[m.kind] ?? m.kind}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function TermsPage(props: {
  org: PortalOrganisation;
  program: DistributorProgram;
  csrf: string;
  error?: DomainError;
}) {
  const { org, program, csrf } = props;
  return (
    <section data-organisation={org.distributorId}>
      <p>
        <a href="/distributor">Distributor portal</a>
      </p>
      <h1>{org.projectName}: embargo terms for distributors</h1>
      <p>
        For {org.distributorName}. Version {program.termsVersion}
        {program.updatedAt ? (
          <>
            , of <UtcTime at={program.updatedAt} />
          </>
        ) : null}
        .
      </p>
      <TermsStatus org={org} />
      <ErrorNotice error={props.error} />
      {/* Safe: renderMarkdown escapes raw HTML and vets link URLs. */}
      <div class="markdown" dangerouslySetInnerHTML={{ __html: renderMarkdown(program.terms) }} />
      {org.acceptedCurrentTerms ? null : (
        <form method="post" action={`/distributor/terms/${org.distributorId}`}>
          <CsrfField token={csrf} />
          <input type="hidden" name="version" value={String(program.termsVersion)} />
          <p class="hint">
            Only a distributor that accepted the current terms is sent the next notices of {org.projectName}.
          </p>
          <button type="submit">
            Accept version {program.termsVersion} for {org.distributorName}
          </button>
        </form>
      )}
    </section>
  );
}

type AckLink = Awaited<ReturnType<typeof ackLink>>;

export function AckLinkPage(props: { link: AckLink; token: string; csrf: string; outcome?: 'recorded' | 'already' }) {
  const { link, token, csrf, outcome } = props;
  return (
    <section class="narrow" data-ack-link>
      <h1>Acknowledge receipt</h1>
      <p>
        Of the notice from {link.projectName} to {link.distributorName}, sent to <code>{link.email}</code>.
      </p>
      {outcome ? (
        <p class="notice" role="status" data-outcome={outcome}>
          {outcome === 'recorded' ? 'Thank you: your acknowledgement is recorded.' : 'It was already recorded.'}
        </p>
      ) : null}
      {link.acknowledgedAt ? (
        <p data-acknowledged="yes">
          Receipt was acknowledged <UtcTime at={link.acknowledgedAt} />.
        </p>
      ) : (
        <form method="post" action={`/distributor/ack/${token}`} data-acknowledged="no">
          <CsrfField token={csrf} />
          <button type="submit">Acknowledge receipt</button>
        </form>
      )}
      <p class="muted">
        The notice itself, and any later change, is in the <a href="/distributor">distributor portal</a> once you sign
        in.
      </p>
    </section>
  );
}

type NoticeRoute = { Params: { id: string } };
type PatchRoute = { Params: { id: string; patchId: string } };
type TermsRoute = { Params: { distributorId: string } };
type TokenRoute = { Params: { token: string } };

/** The routes of /distributor. */
export function distributorPortalPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    const by = (request: FastifyRequest) => ({ actor: request.actor, origin: request.origin });

    await app.register(async (signed) => {
      signed.addHook('preHandler', requireSignIn);

      const admitNotice = async (request: FastifyRequest<NoticeRoute>) =>
        admitContact(request.actor, 'distributor.notice.read', await noticeSubject(deps.db, request.params.id));

      signed.get('/distributor', async (request, reply) => {
        const user = requireUser(request);
        admitContact(user, 'distributor.portal', { projectId: null });
        const [orgs, notices] = await Promise.all([
          portalOrganisations(deps.db, user.userId),
          portalNoticeList(deps.db, user.userId),
        ]);
        return reply.page(<PortalPage orgs={orgs} notices={notices} />, {
          title: 'Distributor portal',
          scripts: ['local-time.js'],
        });
      });

      signed.get<NoticeRoute>('/distributor/notices/:id', async (request, reply) => {
        await admitNotice(request);
        const actor = requireUser(request);
        const view = await deps.db
          .transaction()
          .execute((trx) => portalNotice(trx, deps, { actor, origin: request.origin, noticeId: request.params.id }));
        return reply.page(<NoticePage view={view} csrf={request.csrfToken()} />, {
          title: `${view.projectName}: case ${view.caseNumber}`,
          scripts: ['local-time.js'],
        });
      });

      signed.post<NoticeRoute>('/distributor/notices/:id/ack', async (request, reply) => {
        await admitNotice(request);
        const actor = requireUser(request);
        await deps.db
          .transaction()
          .execute((trx) =>
            acknowledgeAsContact(trx, deps, { actor, origin: request.origin, noticeId: request.params.id }),
          );
        return reply.redirect(`/distributor/notices/${request.params.id}`, 303);
      });

      signed.get<PatchRoute>('/distributor/notices/:id/patches/:patchId', async (request, reply) => {
        await admitNotice(request);
        const actor = requireUser(request);
        const { id: noticeId, patchId } = request.params;
        const file = await deps.db
          .transaction()
          .execute((trx) => downloadNoticePatch(trx, deps, { actor, origin: request.origin, noticeId, patchId }));
        return sendAttachment(reply, file);
      });

      const termsOf = async (request: FastifyRequest<TermsRoute>) => {
        const subject = await distributorSubject(deps.db, request.params.distributorId);
        admitContact(request.actor, 'distributor.terms.accept', subject);
        const user = requireUser(request);
        const org = (await portalOrganisations(deps.db, user.userId)).find(
          (o) => o.distributorId === subject.distributorId,
        );
        if (!org) throw new DomainError('NOT_FOUND');
        return org;
      };

      signed.get<TermsRoute>('/distributor/terms/:distributorId', async (request, reply) => {
        const org = await termsOf(request);
        const program = await getProgram(deps.db, org.projectId);
        return reply.page(<TermsPage org={org} program={program} csrf={request.csrfToken()} />, {
          title: `${org.projectName}: embargo terms`,
          scripts: ['local-time.js'],
        });
      });

      signed.post<TermsRoute>('/distributor/terms/:distributorId', async (request, reply) => {
        const org = await termsOf(request);
        // The acceptance is of the version the contact read: terms changed since their page are
        // shown again instead of being accepted unread. A repeated click records nothing more.
        if (field(request.body, 'version') !== String(org.termsVersion)) {
          const program = await getProgram(deps.db, org.projectId);
          const error = new DomainError('CONFLICT', 'The terms changed since you opened them: read this version.');
          return reply.page(<TermsPage org={org} program={program} csrf={request.csrfToken()} error={error} />, {
            title: `${org.projectName}: embargo terms`,
            status: statusOf[error.code],
            scripts: ['local-time.js'],
          });
        }
        if (!org.acceptedCurrentTerms) {
          await deps.db
            .transaction()
            .execute((trx) =>
              acceptTerms(trx, deps, { by: by(request), projectId: org.projectId, distributorId: org.distributorId }),
            );
        }
        return reply.redirect(`/distributor/terms/${org.distributorId}`, 303);
      });
    });

    // The acknowledgement link of the mail: no sign-in, the token is the credential. A wrong one is
    // SETUP_TOKEN_INVALID, which the error mapping answers 404. The logger redacts the token from
    // request URLs (src/logger.ts).
    const ackPage = (
      request: FastifyRequest<TokenRoute>,
      reply: FastifyReply,
      link: AckLink,
      outcome?: 'recorded' | 'already',
    ) =>
      reply.page(
        <AckLinkPage link={link} token={request.params.token} csrf={request.csrfToken()} outcome={outcome} />,
        {
          title: 'Acknowledge receipt',
          scripts: ['local-time.js'],
        },
      );

    app.get<TokenRoute>('/distributor/ack/:token', async (request, reply) =>
      ackPage(request, reply, await ackLink(deps.db, request.params.token)),
    );

    app.post<TokenRoute>('/distributor/ack/:token', async (request, reply) => {
      const { token } = request.params;
      const { link, changed } = await deps.db.transaction().execute(async (trx) => {
        const changed = await acknowledgeByLink(trx, deps, { token, origin: request.origin });
        return { link: await ackLink(trx, token), changed };
      });
      return ackPage(request, reply, link, changed ? 'recorded' : 'already');
    });
  };
}
