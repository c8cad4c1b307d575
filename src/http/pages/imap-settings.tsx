import os from 'node:os';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { newId } from '../../domain/ids.js';
import type { ImapAccountInput } from '../../domain/mail-intake/imap-accounts.js';
import {
  addImapAccount,
  listImapAccounts,
  removeImapAccount,
  requireImapAccount,
  setImapAccountEnabled,
  updateImapAccount,
} from '../../domain/mail-intake/imap-accounts.service.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { pollImapAccount } from '../../mail/inbound/imap-poller.js';
import { authorize } from '../../policies/policy.js';
import { checkbox, field, formFailure, wholeNumber } from './forms.js';
import { ImapSettingsPage } from './imap-settings-views.js';
import type { Values } from './project-settings-views.js';
import { requireSignIn } from './require-user.js';

type Params = { slug: string; id?: string };
type Req = FastifyRequest<{ Params: Params }>;
type PageExtra = Omit<Parameters<typeof ImapSettingsPage>[0], 'csrf' | 'project' | 'accounts' | 'pollSeconds'>;

// A "poll now" runs in the request so the admin sees at once whether the settings work; a smaller
// batch than the background poller's keeps the request short.
const POLL_NOW_BATCH = 10;

/** The form as typed (never the password), to put back into a re-rendered form. */
function typedValues(body: unknown): Values {
  const values: Values = Object.fromEntries(['host', 'port', 'username', 'mailbox'].map((n) => [n, field(body, n)]));
  values.secure = checkbox(body, 'secure') ? '1' : '';
  return values;
}

function accountInput(body: unknown): ImapAccountInput {
  return {
    host: field(body, 'host'),
    port: wholeNumber(field(body, 'port')),
    secure: checkbox(body, 'secure'),
    username: field(body, 'username'),
    password: field(body, 'password'),
    mailbox: field(body, 'mailbox'),
  };
}

/** A project's IMAP mailboxes, for those who manage the project (its admins and instance admins). */
export function imapSettingsPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.addHook('preHandler', requireSignIn);

    const managed = async (request: Req): Promise<Project> => {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'project.manage', { projectId: project.id });
      return project;
    };
    const by = (request: FastifyRequest) => ({ actor: request.actor, origin: request.origin });
    const tx = <T,>(fn: (trx: Trx) => Promise<T>): Promise<T> => deps.db.transaction().execute(fn);
    const base = (project: Project) => `/p/${project.slug}/settings/imap`;

    const page = async (
      request: FastifyRequest,
      reply: FastifyReply,
      project: Project,
      extra: PageExtra = {},
      status?: number,
    ) =>
      reply.page(
        <ImapSettingsPage
          csrf={request.csrfToken()}
          project={project}
          accounts={await listImapAccounts(deps.db, project.id)}
          pollSeconds={deps.config.mailIn.imapPollSeconds}
          {...extra}
        />,
        { title: `${project.name}: mailboxes`, ...(status ? { status } : {}) },
      );

    app.get<{ Params: Params }>('/p/:slug/settings/imap', async (request, reply) =>
      page(request, reply, await managed(request)),
    );

    app.post<{ Params: Params }>('/p/:slug/settings/imap', async (request, reply) => {
      const project = await managed(request);
      try {
        await tx((trx) =>
          addImapAccount(trx, deps, { by: by(request), projectId: project.id, input: accountInput(request.body) }),
        );
      } catch (err) {
        const { error, status } = formFailure(request, err);
        return page(request, reply, project, { adding: { values: typedValues(request.body), error } }, status);
      }
      return reply.redirect(base(project), 303);
    });

    app.post<{ Params: Params }>('/p/:slug/settings/imap/:id', async (request, reply) => {
      const project = await managed(request);
      const accountId = request.params.id ?? '';
      try {
        await tx((trx) =>
          updateImapAccount(trx, deps, {
            by: by(request),
            projectId: project.id,
            accountId,
            input: accountInput(request.body),
          }),
        );
      } catch (err) {
        const { error, status } = formFailure(request, err);
        if (error.code === 'NOT_FOUND') throw error;
        return page(
          request,
          reply,
          project,
          { editing: { accountId, values: typedValues(request.body), error } },
          status,
        );
      }
      return reply.redirect(base(project), 303);
    });

    app.post<{ Params: Params }>('/p/:slug/settings/imap/:id/enabled', async (request, reply) => {
      const project = await managed(request);
      const enabled = field(request.body, 'enabled') === '1';
      await tx((trx) =>
        setImapAccountEnabled(trx, deps.clock, {
          by: by(request),
          projectId: project.id,
          accountId: request.params.id ?? '',
          enabled,
        }),
      );
      return reply.redirect(base(project), 303);
    });

    app.post<{ Params: Params }>('/p/:slug/settings/imap/:id/remove', async (request, reply) => {
      const project = await managed(request);
      await tx((trx) =>
        removeImapAccount(trx, deps.clock, {
          by: by(request),
          projectId: project.id,
          accountId: request.params.id ?? '',
        }),
      );
      return reply.redirect(base(project), 303);
    });

    app.post<{ Params: Params }>('/p/:slug/settings/imap/:id/poll', async (request, reply) => {
      const project = await managed(request);
      const account = await requireImapAccount(deps.db, project.id, request.params.id ?? '');
      const workerId = `web:${os.hostname()}:${process.pid}:${newId().slice(0, 8)}`;
      const polled = await pollImapAccount(deps, account.id, { workerId, batchSize: POLL_NOW_BATCH });
      return page(request, reply, project, { polled });
    });
  };
}
