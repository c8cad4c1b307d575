import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ComponentChildren } from 'preact';
import type { Deps } from '../../deps.js';
import type { MailingList } from '../../domain/announcements/announcements.js';
import {
  confirmSubscription,
  listMailingLists,
  pendingByToken,
  requestSubscription,
  subscriptionOfUnsubscribeToken,
  unsubscribe,
} from '../../domain/announcements/lists.service.js';
import type { Project } from '../../domain/projects/projects.js';
import { type DomainError, isDomainError } from '../../errors.js';
import { CsrfField } from '../views/layout.js';
import { ErrorNotice, field, formFailure, invalidIf } from './forms.js';
import { listCarries, PublicNav, publicProject, SlugParams } from './public-project.js';

// The public side of a project's mailing lists. Subscribing is double opt-in: the form's answer is
// the same page whatever the address's state (new, pending, confirmed), so it never tells whether
// someone is subscribed; the confirmation link's GET only shows a button (mail scanners follow
// links), its POST confirms. The unsubscribe link (an HMAC credential in the URL) takes RFC 8058's
// one-click POST from a mail client, with no cookie and so no CSRF token; it is idempotent. No page
// here ever shows a subscriber's address.

const TokenParams = Type.Object({
  slug: SlugParams.properties.slug,
  token: Type.String({ minLength: 1, maxLength: 200 }),
});

/** Every value of a repeated form field (the list checkboxes), strings only. */
function fieldValues(body: unknown, name: string): string[] {
  if (!body || typeof body !== 'object') return [];
  const raw = (body as Record<string, unknown>)[name];
  return (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string' && v !== '');
}

interface FormState {
  email: string;
  chosen: string[];
  error?: DomainError;
}

function ListsPage(props: { project: Project; lists: MailingList[]; csrf: string; form?: FormState }) {
  const { project, lists, form } = props;
  const base = `/p/${project.slug}/lists`;
  const checked = (id: string) => (form ? form.chosen.includes(id) : lists.length === 1);
  return (
    <section class="public-lists">
      <PublicNav project={project} current="lists" />
      <h1>{project.name}: mailing lists</h1>
      <p>
        Announcements of {project.name}'s security releases, by email. Subscribing takes a confirmation: you get a
        message with a link, and nothing else until you follow it. Every announcement carries a link to unsubscribe in
        one click. Everything sent is also on the <a href={`/p/${project.slug}/announcements`}>announcements page</a>{' '}
        and in its <a href={`/p/${project.slug}/announcements.atom`}>Atom feed</a>.
      </p>
      {lists.length === 0 ? (
        <p class="muted">The project has no mailing list yet.</p>
      ) : (
        <>
          <ErrorNotice error={form?.error} />
          <form method="post" action={`${base}/subscribe`}>
            <CsrfField token={props.csrf} />
            <label for="subscribe-email">Email address</label>
            <input
              id="subscribe-email"
              type="email"
              name="email"
              required
              maxlength={254}
              autocomplete="email"
              value={form?.email ?? ''}
              aria-invalid={invalidIf(form?.error, 'email')}
            />
            <fieldset aria-invalid={invalidIf(form?.error, 'lists')}>
              <legend>Lists</legend>
              {lists.map((l) => (
                <div key={l.id} data-list={l.name}>
                  <label>
                    <input type="checkbox" name="list" value={l.id} checked={checked(l.id)} /> <strong>{l.name}</strong>
                  </label>
                  <p class="hint">
                    {l.description ? `${l.description} ` : null}Carries: {listCarries(l)}.
                  </p>
                </div>
              ))}
            </fieldset>
            <button type="submit">Subscribe</button>
          </form>
        </>
      )}
    </section>
  );
}

/** The answer to every accepted request: it names the lists chosen, never the address or its state. */
function CheckMailbox({ project, lists }: { project: Project; lists: MailingList[] }) {
  return (
    <section class="public-lists" data-subscribe-requested>
      <PublicNav project={project} current="lists" />
      <h1>Check your mailbox</h1>
      <p>
        If the address can be subscribed, a message with a confirmation link is on its way to it for:{' '}
        {lists.map((l) => l.name).join(', ')}. The subscription starts only once you follow that link, which works for 7
        days. Nothing arrived? Look in the spam folder, or subscribe again later.
      </p>
      <p>
        <a href={`/p/${project.slug}`}>Back to {project.name}</a>
      </p>
    </section>
  );
}

function LinkPage(props: { project: Project; title: string; children: ComponentChildren; state: string }) {
  return (
    <section class="public-lists" data-list-link={props.state}>
      <PublicNav project={props.project} current="lists" />
      <h1>{props.title}</h1>
      {props.children}
    </section>
  );
}

/** /p/:slug/lists and its subscription, confirmation and unsubscribe links. */
export function publicListsPages(deps: Deps) {
  return async (root: FastifyInstance): Promise<void> => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();

    const listsPage = async (
      request: FastifyRequest,
      reply: FastifyReply,
      project: Project,
      form?: FormState,
      status?: number,
    ) =>
      reply.page(
        <ListsPage
          project={project}
          lists={await listMailingLists(deps.db, project.id)}
          csrf={request.csrfToken()}
          form={form}
        />,
        { title: `${project.name}: mailing lists`, ...(status ? { status } : {}) },
      );

    /** A link that is wrong, used or expired: the same 404 whichever, with the way back. */
    const badLink = (reply: FastifyReply, project: Project, what: 'confirm' | 'unsubscribe') =>
      reply.page(
        <LinkPage project={project} title="This link does not work" state="invalid">
          <p>
            {what === 'confirm'
              ? 'This confirmation link is wrong, already used or expired.'
              : 'This unsubscribe link is not valid.'}{' '}
            {what === 'confirm' ? (
              <>
                To subscribe, <a href={`/p/${project.slug}/lists`}>subscribe again</a>: a new link will be sent.
              </>
            ) : (
              <>Use the link of a recent announcement from this project.</>
            )}
          </p>
        </LinkPage>,
        { title: 'This link does not work', status: 404 },
      );
    /** Runs `read`; a wrong, used or expired link (SETUP_TOKEN_INVALID) gives undefined. */
    const unlessBadLink = async <T,>(read: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await read();
      } catch (err) {
        if (isDomainError(err) && err.code === 'SETUP_TOKEN_INVALID') return undefined;
        throw err;
      }
    };

    app.get('/p/:slug/lists', { schema: { params: SlugParams } }, async (request, reply) =>
      listsPage(request, reply, await publicProject(deps.db, request, request.params.slug)),
    );

    app.post('/p/:slug/lists/subscribe', { schema: { params: SlugParams } }, async (request, reply) => {
      const project = await publicProject(deps.db, request, request.params.slug);
      const email = field(request.body, 'email');
      const chosen = fieldValues(request.body, 'list');
      try {
        await deps.db
          .transaction()
          .execute((trx) => requestSubscription(trx, deps, { project, listIds: chosen, email, ip: request.origin.ip }));
      } catch (err) {
        const { error, status } = formFailure(request, err);
        const retry = error.details?.retryAfterSeconds;
        if (error.code === 'RATE_LIMITED' && typeof retry === 'number') reply.header('retry-after', String(retry));
        return listsPage(request, reply, project, { email, chosen, error }, status);
      }
      deps.wakeWorker();
      const lists = (await listMailingLists(deps.db, project.id)).filter((l) => chosen.includes(l.id));
      return reply.page(<CheckMailbox project={project} lists={lists} />, { title: 'Check your mailbox' });
    });

    app.get('/p/:slug/lists/confirm', { schema: { params: SlugParams } }, async (request, reply) => {
      const project = await publicProject(deps.db, request, request.params.slug);
      return reply.page(
        <LinkPage project={project} title="Confirm a subscription" state="no-token">
          <p>
            The confirmation link is in the message sent to your address after you subscribed: open the link from that
            message. Lost it? <a href={`/p/${project.slug}/lists`}>Subscribe again</a>.
          </p>
        </LinkPage>,
        { title: 'Confirm a subscription' },
      );
    });

    // GET changes nothing: a mail scanner that follows the link must not subscribe anyone.
    app.get('/p/:slug/lists/confirm/:token', { schema: { params: TokenParams } }, async (request, reply) => {
      const project = await publicProject(deps.db, request, request.params.slug);
      const { token } = request.params;
      const pending = await unlessBadLink(() => pendingByToken(deps.db, deps, { projectId: project.id, token }));
      if (!pending) return badLink(reply, project, 'confirm');
      const { list } = pending;
      return reply.page(
        <LinkPage project={project} title="Confirm your subscription" state="confirm">
          <p>
            Subscribe this address to <strong>{list.name}</strong> ({listCarries(list)} of {project.name})?
          </p>
          <form method="post" action={`/p/${project.slug}/lists/confirm/${token}`}>
            <CsrfField token={request.csrfToken()} />
            <button type="submit">Confirm</button>
          </form>
        </LinkPage>,
        { title: 'Confirm your subscription' },
      );
    });

    app.post('/p/:slug/lists/confirm/:token', { schema: { params: TokenParams } }, async (request, reply) => {
      const project = await publicProject(deps.db, request, request.params.slug);
      const { token } = request.params;
      const confirmed = await unlessBadLink(() =>
        deps.db
          .transaction()
          .execute((trx) => confirmSubscription(trx, deps, { projectId: project.id, token, origin: request.origin })),
      );
      if (!confirmed) return badLink(reply, project, 'confirm');
      const { list } = confirmed;
      return reply.page(
        <LinkPage project={project} title="You are subscribed" state="confirmed">
          <p>
            This address now receives <strong>{list.name}</strong> ({listCarries(list)} of {project.name}). Every
            message carries a link to unsubscribe.
          </p>
        </LinkPage>,
        { title: 'You are subscribed' },
      );
    });

    app.get('/p/:slug/lists/unsubscribe/:token', { schema: { params: TokenParams } }, async (request, reply) => {
      const project = await publicProject(deps.db, request, request.params.slug);
      const { token } = request.params;
      const found = await unlessBadLink(() =>
        subscriptionOfUnsubscribeToken(deps.db, deps.secret, { projectId: project.id, token }),
      );
      if (!found) return badLink(reply, project, 'unsubscribe');
      const { subscription, list } = found;
      return reply.page(
        subscription.status === 'unsubscribed' ? (
          <LinkPage project={project} title="Not subscribed" state="unsubscribed">
            <p>
              This address is no longer subscribed to <strong>{list.name}</strong>.
            </p>
          </LinkPage>
        ) : (
          <LinkPage project={project} title="Unsubscribe" state="unsubscribe">
            <p>
              Stop receiving <strong>{list.name}</strong> ({project.name}) at this address?
            </p>
            {/* No CSRF token: the URL is the credential, and a mail client posts here with no cookie. */}
            <form method="post" action={`/p/${project.slug}/lists/unsubscribe/${token}`}>
              <input type="hidden" name="List-Unsubscribe" value="One-Click" />
              <button type="submit" class="danger">
                Unsubscribe
              </button>
            </form>
          </LinkPage>
        ),
        { title: 'Unsubscribe' },
      );
    });

    // RFC 8058 one-click: the mail client posts `List-Unsubscribe=One-Click`, URL-encoded or as
    // multipart/form-data (which this app refuses elsewhere), with no cookie. The body says nothing
    // the URL does not, so it is not read further; a small limit keeps it from being a way in.
    await app.register(async (child) => {
      const scope = child.withTypeProvider<TypeBoxTypeProvider>();
      scope.addContentTypeParser('multipart/form-data', { parseAs: 'string', bodyLimit: 4096 }, (_req, _body, done) =>
        done(null, {}),
      );
      scope.post(
        '/p/:slug/lists/unsubscribe/:token',
        { schema: { params: TokenParams }, config: { csrf: false } },
        async (request, reply) => {
          const project = await publicProject(deps.db, request, request.params.slug);
          const { token } = request.params;
          // Unsubscribing twice changes nothing and answers the same page.
          const list = await unlessBadLink(() =>
            deps.db.transaction().execute(async (trx) => {
              const found = await subscriptionOfUnsubscribeToken(trx, deps.secret, { projectId: project.id, token });
              const by = { actor: request.actor, origin: request.origin };
              await unsubscribe(trx, deps, { subscriptionId: found.subscription.id, projectId: project.id, by });
              return found.list;
            }),
          );
          if (!list) return badLink(reply, project, 'unsubscribe');
          return reply.page(
            <LinkPage project={project} title="Unsubscribed" state="done">
              <p>
                This address will receive nothing more from <strong>{list.name}</strong> ({project.name}).
              </p>
            </LinkPage>,
            { title: 'Unsubscribed' },
          );
        },
      );
    });
  };
}
