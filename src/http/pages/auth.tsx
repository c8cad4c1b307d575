import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import { login, logout } from '../../domain/users/login.service.js';
import { MIN_PASSWORD_LENGTH } from '../../domain/users/password.js';
import { deleteSession } from '../../domain/users/sessions.service.js';
import { consumeSetupToken, inspectSetupToken, type SetupTokenInfo } from '../../domain/users/setup.service.js';
import type { DomainError } from '../../errors.js';
import { cookieSecure, SESSION_COOKIE } from '../plugins/auth.js';
import { statusOf, wantsJson } from '../plugins/errors.js';
import { CsrfField } from '../views/layout.js';
import { ErrorNotice, field, formFailure, invalidIf } from './forms.js';
import { safeNext } from './require-user.js';

function LoginForm(props: {
  csrf: string;
  next: string | undefined;
  email: string;
  error?: DomainError;
  done?: boolean;
}) {
  return (
    <section class="narrow">
      <h1>Team sign-in</h1>
      {props.done ? <p class="notice">Your password is set. Sign in with it below.</p> : null}
      <ErrorNotice error={props.error} />
      <form method="post" action="/login">
        <CsrfField token={props.csrf} />
        {props.next ? <input type="hidden" name="next" value={props.next} /> : null}
        <label for="email">Email address</label>
        <input id="email" type="email" name="email" value={props.email} autocomplete="username" required />
        <label for="password">Password</label>
        <input id="password" type="password" name="password" autocomplete="current-password" required />
        <button type="submit">Sign in</button>
      </form>
      <p class="muted">Reporting a vulnerability? You need no account: use the project's report form.</p>
    </section>
  );
}

function SetupForm(props: {
  csrf: string;
  action: string;
  info: SetupTokenInfo;
  email?: string;
  name?: string;
  error?: DomainError;
}) {
  const { info, error } = props;
  return (
    <section class="narrow">
      <h1>{info.purpose === 'first-admin' ? 'Create the first admin account' : 'Choose your password'}</h1>
      {info.purpose === 'setup' ? (
        <p>
          Account: <strong>{info.email}</strong>
        </p>
      ) : (
        <p>This account administers the instance: it creates projects and team accounts.</p>
      )}
      <ErrorNotice error={error} />
      <form method="post" action={props.action}>
        <CsrfField token={props.csrf} />
        {info.purpose === 'first-admin' ? (
          <>
            <label for="email">Email address</label>
            <input
              id="email"
              type="email"
              name="email"
              value={props.email ?? ''}
              autocomplete="username"
              required
              aria-invalid={invalidIf(error, 'email')}
            />
            <label for="name">Name</label>
            <input
              id="name"
              type="text"
              name="name"
              value={props.name ?? ''}
              autocomplete="name"
              required
              aria-invalid={invalidIf(error, 'name')}
            />
          </>
        ) : (
          <input type="hidden" name="email" value={info.email} autocomplete="username" />
        )}
        <label for="password">
          Password <span class="hint">(at least {MIN_PASSWORD_LENGTH} characters)</span>
        </label>
        <input
          id="password"
          type="password"
          name="password"
          minlength={MIN_PASSWORD_LENGTH}
          autocomplete="new-password"
          required
          aria-invalid={invalidIf(error, 'password')}
        />
        <button type="submit">Save password</button>
      </form>
    </section>
  );
}

/** Sign-in, sign-out and the one-time setup links (first admin, invited users). */
export function authPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    const cookie = { path: '/', httpOnly: true, sameSite: 'lax', secure: cookieSecure(deps.config.publicUrl) } as const;

    app.get('/login', async (request, reply) => {
      const next = safeNext(field(request.query, 'next'));
      if (request.actor.kind === 'user') return reply.redirect(next ?? '/projects', 303);
      const done = field(request.query, 'setup') === 'done';
      return reply.page(<LoginForm csrf={request.csrfToken()} next={next} email="" done={done} />, {
        title: 'Sign in',
      });
    });

    app.post('/login', async (request, reply) => {
      const email = field(request.body, 'email');
      const next = safeNext(field(request.body, 'next'));
      const input = { email, password: field(request.body, 'password'), origin: request.origin };
      // The attempt is recorded and the password checked before the transaction opens; the
      // transaction then commits on failure too, with the audit entry of the refusal.
      const result = await login(deps.db, deps, input);
      if (!result.ok) {
        if (wantsJson(request)) throw result.error;
        const retry = result.error.details?.retryAfterSeconds;
        if (typeof retry === 'number') reply.header('retry-after', String(retry));
        return reply.page(<LoginForm csrf={request.csrfToken()} next={next} email={email} error={result.error} />, {
          title: 'Sign in',
          status: statusOf[result.error.code],
        });
      }
      // A new token at every sign-in (no session fixation); a session already open in this browser ends.
      const previous = request.cookies[SESSION_COOKIE];
      if (previous) await deleteSession(deps.db, previous);
      reply.setCookie(SESSION_COOKIE, result.token, { ...cookie, maxAge: deps.config.sessionDays * 86_400 });
      return reply.redirect(next ?? '/projects', 303);
    });

    app.post('/logout', async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) {
        await deps.db
          .transaction()
          .execute((trx) => logout(trx, deps, { token, actor: request.actor, origin: request.origin }));
      }
      reply.clearCookie(SESSION_COOKIE, cookie);
      return reply.redirect('/', 303);
    });

    const setupPage = (
      request: FastifyRequest,
      reply: FastifyReply,
      token: string,
      props: Omit<Parameters<typeof SetupForm>[0], 'csrf' | 'action'>,
      status?: number,
    ) =>
      reply.page(<SetupForm csrf={request.csrfToken()} action={`/setup/${encodeURIComponent(token)}`} {...props} />, {
        title: props.info.purpose === 'first-admin' ? 'First admin' : 'Set your password',
        ...(status ? { status } : {}),
      });

    app.get<{ Params: { token: string } }>('/setup/:token', async (request, reply) => {
      const info = await inspectSetupToken(deps.db, deps, request.params.token);
      return setupPage(request, reply, request.params.token, { info });
    });

    app.post<{ Params: { token: string } }>('/setup/:token', async (request, reply) => {
      const { token } = request.params;
      const info = await inspectSetupToken(deps.db, deps, token);
      const input = {
        token,
        password: field(request.body, 'password'),
        email: field(request.body, 'email'),
        name: field(request.body, 'name'),
        origin: request.origin,
      };
      try {
        await deps.db.transaction().execute((trx) => consumeSetupToken(trx, deps, input));
      } catch (err) {
        const { error, status } = formFailure(request, err);
        if (error.code === 'SETUP_TOKEN_INVALID') throw error;
        return setupPage(request, reply, token, { info, email: input.email, name: input.name, error }, status);
      }
      return reply.redirect('/login?setup=done', 303);
    });
  };
}
