import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import {
  ANNOUNCEMENT_KINDS,
  KIND_WORDS,
  type MailingList,
  type Subscription,
  type SubscriptionStatus,
} from '../../domain/announcements/announcements.js';
import {
  addMailingList,
  listMailingLists,
  listSubscriptions,
  removeMailingList,
  requireList,
  unsubscribe,
} from '../../domain/announcements/lists.service.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import type { DomainError } from '../../errors.js';
import { authorize } from '../../policies/policy.js';
import { CsrfField } from '../views/layout.js';
import { RemoveButton } from '../views/remove-button.js';
import { when } from '../views/time.js';
import { checkbox, ErrorNotice, field, formFailure, invalidIf } from './forms.js';
import { SettingsNav, type Values } from './project-settings-views.js';
import { requireSignIn } from './require-user.js';

// A project's mailing lists and their subscribers (project.lists.manage: its admins; subscribers'
// addresses are personal data). People subscribe themselves on the public page, double opt-in;
// here admins add and remove lists and end a subscription.

type Params = { slug: string; id?: string; subscriptionId?: string };
type Req = FastifyRequest<{ Params: Params }>;

/** Subscriptions shown on a list's page; a larger list says it was cut. */
const SHOWN = 1000;

const KIND_HINTS: Record<(typeof ANNOUNCEMENT_KINDS)[number], string> = {
  fix_forthcoming: 'a fix is coming on a date: severity and components, no details',
  release: 'the advisory at the release: who is affected, fixed versions, how to upgrade',
  update: 'the release time moved, or the embargo broke, after a fix-forthcoming notice',
};

const STATUS_WORDS: Record<SubscriptionStatus, string> = {
  pending: 'waiting for confirmation',
  confirmed: 'confirmed',
  unsubscribed: 'unsubscribed',
};

const publicPage = (project: Project) => `/p/${project.slug}/lists`;
const settingsBase = (project: Project) => `/p/${project.slug}/settings/lists`;

function KindsOf({ list }: { list: MailingList }) {
  return <>{list.kinds.map((k) => KIND_WORDS[k]).join(', ')}</>;
}

function ListsPage(props: {
  csrf: string;
  project: Project;
  lists: MailingList[];
  adding?: { values: Values; error: DomainError };
  notice?: string;
}) {
  const { csrf, project, lists, adding } = props;
  const base = settingsBase(project);
  const values = adding?.values ?? { 'kinds.fix_forthcoming': '1', 'kinds.release': '1', 'kinds.update': '1' };
  const error = adding?.error;
  return (
    <section>
      <SettingsNav project={project} />
      <h1>{project.name}: mailing lists</h1>
      <p>
        Announcements go to the confirmed subscribers of each list that carries their kind. Anyone subscribes on the
        public page <a href={publicPage(project)}>{publicPage(project)}</a>: they get a confirmation link and nothing
        else until they follow it, and every announcement carries a one-click unsubscribe link.
      </p>
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : null}
      {lists.length === 0 ? (
        <p class="muted">No mailing list yet: announcements are published on the project's public pages only.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>List</th>
              <th>Description</th>
              <th>Carries</th>
              <th>Confirmed subscribers</th>
            </tr>
          </thead>
          <tbody>
            {lists.map((l) => (
              <tr key={l.id} data-list={l.id}>
                <td>
                  <a href={`${base}/${l.id}`}>{l.name}</a>
                </td>
                <td>{l.description}</td>
                <td>
                  <KindsOf list={l} />
                </td>
                <td data-subscribers={l.subscribers}>{l.subscribers}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Add a list</h2>
      <ErrorNotice error={error} />
      <form method="post" action={base}>
        <CsrfField token={csrf} />
        <label for="name">
          Name <span class="hint">Lower-case letters, digits, dots, dashes, e.g. security-announce.</span>
        </label>
        <input
          id="name"
          type="text"
          name="name"
          required
          maxlength={64}
          value={values.name ?? ''}
          aria-invalid={invalidIf(error, 'name')}
        />
        <label for="description">
          Description <span class="hint">(optional) What subscribers get, shown on the public page.</span>
        </label>
        <input
          id="description"
          type="text"
          name="description"
          maxlength={500}
          value={values.description ?? ''}
          aria-invalid={invalidIf(error, 'description')}
        />
        <fieldset aria-invalid={invalidIf(error, 'kinds')}>
          <legend>What it carries</legend>
          {ANNOUNCEMENT_KINDS.map((k) => (
            <label class="check" key={k}>
              <input type="checkbox" name={`kinds.${k}`} value="1" checked={values[`kinds.${k}`] === '1'} />{' '}
              {KIND_WORDS[k]} <span class="hint">{KIND_HINTS[k]}</span>
            </label>
          ))}
        </fieldset>
        <button type="submit">Add list</button>
      </form>
    </section>
  );
}

function ListPage(props: {
  csrf: string;
  project: Project;
  list: MailingList;
  subscriptions: Subscription[];
  cut: boolean;
  notice?: string;
}) {
  const { csrf, project, list, subscriptions } = props;
  const base = `${settingsBase(project)}/${list.id}`;
  return (
    <section>
      <SettingsNav project={project} />
      <p>
        <a href={settingsBase(project)}>All mailing lists</a>
      </p>
      <h1>
        {project.name}: list {list.name}
      </h1>
      <dl class="facts">
        <dt>Description</dt>
        <dd>{list.description || <span class="muted">none</span>}</dd>
        <dt>Carries</dt>
        <dd>
          <KindsOf list={list} />
        </dd>
        <dt>Confirmed subscribers</dt>
        <dd data-subscribers={list.subscribers}>{list.subscribers}</dd>
        <dt>Public page</dt>
        <dd>
          <a href={publicPage(project)}>{publicPage(project)}</a>
        </dd>
      </dl>
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : null}
      <h2>Subscriptions</h2>
      {props.cut ? (
        <p class="notice" data-cut>
          The list has more than {SHOWN} subscriptions: only the first {SHOWN}, by address, are shown.
        </p>
      ) : null}
      {subscriptions.length === 0 ? (
        <p class="muted">No subscription yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Address</th>
              <th>State</th>
              <th>Asked</th>
              <th>Confirmed</th>
              <th>Unsubscribed</th>
              <th>Unsubscribe</th>
            </tr>
          </thead>
          <tbody>
            {subscriptions.map((s) => (
              <tr key={s.id} data-subscription={s.id} data-status={s.status}>
                <td>{s.email}</td>
                <td>{STATUS_WORDS[s.status]}</td>
                <td>{when(s.createdAt)}</td>
                <td>{when(s.confirmedAt)}</td>
                <td>{when(s.unsubscribedAt)}</td>
                <td>
                  {s.status === 'unsubscribed' ? null : (
                    <RemoveButton action={`${base}/subscriptions/${s.id}/remove`} csrf={csrf} label="Unsubscribe" />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Remove this list</h2>
      <p class="muted">
        Deletes the list with every subscription; its subscribers are not told. Announcements already sent stay public.
      </p>
      <RemoveButton action={`${base}/remove`} csrf={csrf} label="Remove list" />
    </section>
  );
}

const NOTICES: Record<string, string> = { removed: 'The list is removed with its subscriptions.' };
const LIST_NOTICES: Record<string, string> = {
  added: 'List added. People subscribe to it on the public page.',
  unsubscribed: 'The address is unsubscribed: it gets no further announcement from this list.',
};
const shownOf = (query: unknown, notices: Record<string, string>) => {
  const key = Object.keys(notices).find((k) => field(query, k) === '1');
  return key ? notices[key] : undefined;
};

/** The routes of /p/:slug/settings/lists. */
export function listSettingsPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.addHook('preHandler', requireSignIn);
    const by = (request: FastifyRequest) => ({ actor: request.actor, origin: request.origin });

    const managed = async (request: Req): Promise<Project> => {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'project.lists.manage', { projectId: project.id });
      return project;
    };

    const listsPage = async (
      request: FastifyRequest,
      reply: FastifyReply,
      project: Project,
      extra: { adding?: { values: Values; error: DomainError }; notice?: string; status?: number } = {},
    ) =>
      reply.page(
        <ListsPage
          csrf={request.csrfToken()}
          project={project}
          lists={await listMailingLists(deps.db, project.id)}
          adding={extra.adding}
          notice={extra.notice}
        />,
        { title: `${project.name}: mailing lists`, ...(extra.status ? { status: extra.status } : {}) },
      );

    app.get<{ Params: Params }>('/p/:slug/settings/lists', async (request, reply) => {
      const project = await managed(request);
      return listsPage(request, reply, project, { notice: shownOf(request.query, NOTICES) });
    });

    app.post<{ Params: Params }>('/p/:slug/settings/lists', async (request, reply) => {
      const project = await managed(request);
      const values: Values = { name: field(request.body, 'name'), description: field(request.body, 'description') };
      for (const k of ANNOUNCEMENT_KINDS) if (checkbox(request.body, `kinds.${k}`)) values[`kinds.${k}`] = '1';
      try {
        const list = await deps.db.transaction().execute((trx) =>
          addMailingList(trx, deps, {
            by: by(request),
            projectId: project.id,
            name: values.name ?? '',
            description: values.description ?? '',
            kinds: ANNOUNCEMENT_KINDS.filter((k) => values[`kinds.${k}`] === '1'),
          }),
        );
        return reply.redirect(`${settingsBase(project)}/${list.id}?added=1`, 303);
      } catch (err) {
        const { error, status } = formFailure(request, err);
        return listsPage(request, reply, project, { adding: { values, error }, status });
      }
    });

    app.get<{ Params: Params }>('/p/:slug/settings/lists/:id', async (request, reply) => {
      const project = await managed(request);
      const found = await requireList(deps.db, project.id, request.params.id ?? '');
      // requireList does not count subscribers; the project's lists do.
      const list = (await listMailingLists(deps.db, project.id)).find((l) => l.id === found.id) ?? found;
      // One more than shown, to know whether the page is cut.
      const subscriptions = await listSubscriptions(deps.db, list.id, SHOWN + 1);
      return reply.page(
        <ListPage
          csrf={request.csrfToken()}
          project={project}
          list={list}
          subscriptions={subscriptions.slice(0, SHOWN)}
          cut={subscriptions.length > SHOWN}
          notice={shownOf(request.query, LIST_NOTICES)}
        />,
        { title: `${project.name}: list ${list.name}` },
      );
    });

    app.post<{ Params: Params }>('/p/:slug/settings/lists/:id/remove', async (request, reply) => {
      const project = await managed(request);
      await deps.db
        .transaction()
        .execute((trx) =>
          removeMailingList(trx, deps, { by: by(request), projectId: project.id, listId: request.params.id ?? '' }),
        );
      return reply.redirect(`${settingsBase(project)}?removed=1`, 303);
    });

    app.post<{ Params: Params }>(
      '/p/:slug/settings/lists/:id/subscriptions/:subscriptionId/remove',
      async (request, reply) => {
        const project = await managed(request);
        const list = await requireList(deps.db, project.id, request.params.id ?? '');
        // A subscription of another list (or project) is not found under this list's URL.
        await deps.db.transaction().execute((trx) =>
          unsubscribe(trx, deps, {
            by: by(request),
            projectId: project.id,
            listId: list.id,
            subscriptionId: request.params.subscriptionId ?? '',
          }),
        );
        return reply.redirect(`${settingsBase(project)}/${list.id}?unsubscribed=1`, 303);
      },
    );
  };
}
