import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import {
  confirmDependent,
  manageView,
  pendingDependent,
  removeRegistration,
  replaceRegistration,
  requestDependentSubscription,
  unsubscribeDependent,
} from '../../domain/scan/dependents.service.js';
import { type DomainError, isDomainError } from '../../errors.js';
import { CsrfField } from '../views/layout.js';
import { ManagePage, NOTICES, Page, type SubscribeForm, SubscribePage } from './dependents-public-views.js';
import { inventoryOf, RegistrationList } from './dependents-views.js';
import { field, formFailure } from './forms.js';
import { acceptMultipart, readSubmittedForm } from './multipart-form.js';

// The public side of ecosystem alerts: anyone may register a lockfile, an SBOM or package URLs to
// be told when an advisory (this instance's own, or one imported into its database) affects them.
// Double opt-in, as for mailing lists: the form's answer is the same whatever the address; the
// confirmation link's GET only shows a button (mail scanners follow links), its POST confirms and
// leads to the manage page, whose URL is the credential (it is in every alert), never a session.

const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) });

/** /dependents/subscribe, /dependents/confirm/:token and /dependents/manage/:token. */
export function dependentsPublicPages(deps: Deps) {
  return async (root: FastifyInstance): Promise<void> => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const subscribePage = (request: FastifyRequest, reply: FastifyReply, form: SubscribeForm, status?: number) =>
      reply.page(<SubscribePage csrf={request.csrfToken()} form={form} />, {
        title: 'Security alerts for what you depend on',
        ...(status ? { status } : {}),
      });

    /** A link that is wrong, used or expired: the same 404 whichever. */
    const badLink = (reply: FastifyReply, what: 'confirm' | 'manage') =>
      reply.page(
        <Page title="This link does not work" state="invalid">
          <p>
            {what === 'confirm'
              ? 'This confirmation link is wrong, already used or expired.'
              : 'This link is not valid.'}{' '}
            <a href="/dependents/subscribe">Register again</a>
            {what === 'manage' ? ', or use the link of a recent alert.' : ': a new link will be sent.'}
          </p>
        </Page>,
        { title: 'This link does not work', status: 404 },
      );
    const unlessBadLink = async <T,>(read: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await read();
      } catch (err) {
        if (isDomainError(err) && err.code === 'SETUP_TOKEN_INVALID') return undefined;
        throw err;
      }
    };

    const managePage = async (
      request: FastifyRequest,
      reply: FastifyReply,
      token: string,
      extra: { notice?: string; purls?: string; error?: DomainError; status?: number } = {},
    ) => {
      const view = await unlessBadLink(() => manageView(deps.db, deps, token));
      if (!view) return badLink(reply, 'manage');
      const { status, ...rest } = extra;
      return reply.page(<ManagePage view={view} token={token} csrf={request.csrfToken()} {...rest} />, {
        title: `Registrations of ${view.dependent.name}`,
        ...(status ? { status } : {}),
      });
    };

    app.get('/dependents/subscribe', async (request, reply) =>
      subscribePage(request, reply, { name: '', email: '', purls: '' }),
    );

    // Where a sent mail's links lead once its copy in the outbox lost the token (settled-bodies.ts).
    app.get('/dependents/confirm', async (_request, reply) =>
      reply.page(
        <Page title="Confirm a registration" state="no-token">
          <p>
            The confirmation link is in the message sent to your address after you registered: open the link from that
            message. Lost it? <a href="/dependents/subscribe">Register again</a>.
          </p>
        </Page>,
        { title: 'Confirm a registration' },
      ),
    );
    app.get('/dependents/manage', async (_request, reply) =>
      reply.page(
        <Page title="Manage a registration" state="no-token">
          <p>
            Every alert carries the link to your registrations: open it from the most recent one. Lost it?{' '}
            <a href="/dependents/subscribe">Register again</a>, and unsubscribe from the old registration when its next
            alert arrives.
          </p>
        </Page>,
        { title: 'Manage a registration' },
      ),
    );

    app.get('/dependents/confirm/:token', { schema: { params: TokenParams } }, async (request, reply) => {
      const { token } = request.params;
      const pending = await unlessBadLink(() => pendingDependent(deps.db, deps, token));
      if (!pending) return badLink(reply, 'confirm');
      return reply.page(
        <Page title="Confirm your registration" state="confirm">
          <p>
            Tell this address about advisories affecting the packages registered as{' '}
            <strong>{pending.dependent.name}</strong>?
          </p>
          <RegistrationList registrations={pending.registrations} removeAction={null} csrf="" />
          <form method="post" action={`/dependents/confirm/${token}`}>
            <CsrfField token={request.csrfToken()} />
            <button type="submit">Confirm</button>
          </form>
        </Page>,
        { title: 'Confirm your registration' },
      );
    });

    app.post('/dependents/confirm/:token', { schema: { params: TokenParams } }, async (request, reply) => {
      const { token } = request.params;
      const confirmed = await unlessBadLink(() =>
        deps.db.transaction().execute((trx) => confirmDependent(trx, deps, { token, origin: request.origin })),
      );
      if (!confirmed) return badLink(reply, 'confirm');
      return reply.redirect(`/dependents/manage/${confirmed.manageToken}?done=confirmed`, 303);
    });

    app.get('/dependents/manage/:token', { schema: { params: TokenParams } }, async (request, reply) =>
      managePage(request, reply, request.params.token, { notice: NOTICES[field(request.query, 'done')] }),
    );

    app.post('/dependents/manage/:token/remove', { schema: { params: TokenParams } }, async (request, reply) => {
      const { token } = request.params;
      try {
        const done = await unlessBadLink(() =>
          deps.db.transaction().execute(async (trx) => {
            await removeRegistration(trx, { token, registrationId: field(request.body, 'registration') });
            return true;
          }),
        );
        if (done === undefined) return badLink(reply, 'manage');
      } catch (err) {
        const { error, status } = formFailure(request, err);
        return managePage(request, reply, token, { error, status });
      }
      return reply.redirect(`/dependents/manage/${token}?done=removed`, 303);
    });

    app.post('/dependents/manage/:token/unsubscribe', { schema: { params: TokenParams } }, async (request, reply) => {
      const { token } = request.params;
      const by = { actor: request.actor, origin: request.origin };
      const done = await unlessBadLink(() =>
        deps.db.transaction().execute((trx) => unsubscribeDependent(trx, deps, { token, ...by })),
      );
      if (done === undefined) return badLink(reply, 'manage');
      return reply.redirect(`/dependents/manage/${token}`, 303);
    });

    // The two forms that take a file: multipart is read here and nowhere else in this module.
    await app.register(async (child) => {
      await acceptMultipart(child, deps.config);
      const uploads = child.withTypeProvider<TypeBoxTypeProvider>();

      uploads.post('/dependents/subscribe', async (request, reply) => {
        const form = readSubmittedForm(request);
        const typed = { name: form.fields.name ?? '', email: form.fields.email ?? '', purls: form.fields.purls ?? '' };
        try {
          const inventory = inventoryOf(form);
          await deps.db.transaction().execute((trx) =>
            requestDependentSubscription(trx, deps, {
              name: typed.name,
              email: typed.email,
              inventory,
              ip: request.origin.ip,
            }),
          );
        } catch (err) {
          const { error, status } = formFailure(request, err);
          const retry = error.details?.retryAfterSeconds;
          if (error.code === 'RATE_LIMITED' && typeof retry === 'number') reply.header('retry-after', String(retry));
          return subscribePage(request, reply, { ...typed, error }, status);
        }
        deps.wakeWorker();
        return reply.page(
          <Page title="Check your mailbox" state="requested">
            <p>
              If the address can be registered, a message with a confirmation link is on its way to it. Nothing is sent
              before you follow that link, which works for 7 days. Nothing arrived? Look in the spam folder, or register
              again later.
            </p>
          </Page>,
          { title: 'Check your mailbox' },
        );
      });

      uploads.post('/dependents/manage/:token', { schema: { params: TokenParams } }, async (request, reply) => {
        const { token } = request.params;
        const form = readSubmittedForm(request);
        try {
          const inventory = inventoryOf(form);
          const done = await unlessBadLink(() =>
            deps.db.transaction().execute((trx) => replaceRegistration(trx, deps, { token, inventory })),
          );
          if (done === undefined) return badLink(reply, 'manage');
        } catch (err) {
          const { error, status } = formFailure(request, err);
          return managePage(request, reply, token, { error, status, purls: form.fields.purls ?? '' });
        }
        return reply.redirect(`/dependents/manage/${token}?done=saved`, 303);
      });
    });
  };
}
