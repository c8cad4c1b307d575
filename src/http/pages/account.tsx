import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import {
  API_TOKEN_NAME_MAX,
  type ApiToken,
  apiTokenState,
  createApiToken,
  listApiTokens,
  revokeApiToken,
} from '../../domain/users/api-tokens.service.js';
import type { DomainError } from '../../errors.js';
import { authorize } from '../../policies/policy.js';
import { requireUser } from '../plugins/auth.js';
import { CsrfField } from '../views/layout.js';
import { RemoveButton } from '../views/remove-button.js';
import { when } from '../views/time.js';
import { ErrorNotice, field, formFailure, invalidIf } from './forms.js';
import { requireSignIn } from './require-user.js';

// The signed-in person's own account: personal API tokens for the JSON API.

const LIFETIMES = [
  ['30', '30 days'],
  ['90', '90 days'],
  ['365', '1 year'],
  ['never', 'Never'],
] as const;
const DEFAULT_LIFETIME = '90';

/** The expiry field as days: 'never' is null; anything not offered is NaN, which the service refuses. */
function lifetimeDays(value: string): number | null {
  if (value === 'never') return null;
  return /^\d{1,4}$/.test(value) ? Number(value) : Number.NaN;
}

interface TokensProps {
  csrf: string;
  tokens: ApiToken[];
  now: Date;
  /** The token just created: shown on this one response and never again. */
  created?: { name: string; token: string; expiresAt: string | null };
  revoked?: boolean;
  error?: DomainError;
  values?: { name: string; expiresIn: string };
}

function NewToken({ created }: { created: NonNullable<TokensProps['created']> }) {
  return (
    <div class="notice" data-new-token>
      <p>
        <strong>Copy your new token “{created.name}” now.</strong> It is shown only this once: Embargo keeps just a
        fingerprint of it and cannot show it again. Treat it like your password.
        {created.expiresAt ? ` It expires ${when(created.expiresAt)}.` : ' It never expires.'}
      </p>
      <p>
        <code class="secret">{created.token}</code>
      </p>
    </div>
  );
}

function TokensTable({ csrf, tokens, now }: Pick<TokensProps, 'csrf' | 'tokens' | 'now'>) {
  if (tokens.length === 0) return <p class="muted">You have no API tokens yet.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Name</th>
          <th>Created</th>
          <th>Expires</th>
          <th>Last used</th>
          <th>Status</th>
          <th>Revoke</th>
        </tr>
      </thead>
      <tbody>
        {tokens.map((t) => {
          const state = apiTokenState(t, now);
          return (
            <tr key={t.id} data-token={t.id}>
              <td>{t.name}</td>
              <td>{when(t.createdAt)}</td>
              <td>{t.expiresAt ? when(t.expiresAt) : 'never'}</td>
              <td>{t.lastUsedAt ? when(t.lastUsedAt) : 'never'}</td>
              <td>
                <span class="badge" data-state={state}>
                  {state === 'revoked' ? `revoked ${when(t.revokedAt)}` : state}
                </span>
              </td>
              <td>
                {state === 'active' ? (
                  <RemoveButton action={`/account/tokens/${t.id}/revoke`} csrf={csrf} label="Revoke" />
                ) : null}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function TokensPage(props: TokensProps) {
  const { csrf, error, values = { name: '', expiresIn: DEFAULT_LIFETIME } } = props;
  return (
    <section>
      <h1>API tokens</h1>
      <p>
        A personal API token lets a script use the JSON API under <code>/api/</code> as you, with your project roles.
        Send it as <code>Authorization: Bearer emb_…</code>; the API never reads your browser's cookies. The API is
        described at <a href="/api/openapi.json">/api/openapi.json</a>.
      </p>
      {props.created ? <NewToken created={props.created} /> : null}
      {props.revoked ? <p class="notice">The token was revoked; it no longer works.</p> : null}
      <ErrorNotice error={error} />
      <TokensTable csrf={csrf} tokens={props.tokens} now={props.now} />
      <h2>Create a token</h2>
      <form method="post" action="/account/tokens">
        <CsrfField token={csrf} />
        <label for="name">
          Name <span class="hint">(what it is for, e.g. "CI advisory export")</span>
        </label>
        <input
          id="name"
          name="name"
          required
          maxLength={API_TOKEN_NAME_MAX}
          value={values.name}
          aria-invalid={invalidIf(error, 'name')}
        />
        <label for="expiresIn">Expires after</label>
        <select id="expiresIn" name="expiresIn" aria-invalid={invalidIf(error, 'expiresInDays')}>
          {LIFETIMES.map(([value, label]) => (
            <option key={value} value={value} selected={values.expiresIn === value}>
              {label}
            </option>
          ))}
        </select>
        <button type="submit">Create token</button>
      </form>
    </section>
  );
}

/** /account/tokens: list, create (the token shown once) and revoke one's own personal API tokens. */
export function accountPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.addHook('preHandler', requireSignIn);
    app.addHook('preHandler', async (request) =>
      authorize(request.actor, 'account.tokens.manage', { projectId: null }),
    );

    const page = async (
      request: FastifyRequest,
      reply: FastifyReply,
      props: Partial<TokensProps> = {},
      status?: number,
    ) =>
      reply.page(
        <TokensPage
          csrf={request.csrfToken()}
          tokens={await listApiTokens(deps.db, requireUser(request).userId)}
          now={deps.clock.now()}
          {...props}
        />,
        { title: 'API tokens', ...(status ? { status } : {}) },
      );

    app.get('/account/tokens', async (request, reply) =>
      page(request, reply, { revoked: field(request.query, 'revoked') === '1' }),
    );

    app.post('/account/tokens', async (request, reply) => {
      const values = { name: field(request.body, 'name'), expiresIn: field(request.body, 'expiresIn') };
      try {
        const created = await deps.db.transaction().execute((trx) =>
          createApiToken(trx, deps, {
            actor: requireUser(request),
            origin: request.origin,
            name: values.name,
            expiresInDays: lifetimeDays(values.expiresIn),
          }),
        );
        // The one response that carries the token: no cache, shared or private, may keep it.
        reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
        return page(request, reply, { created: { name: values.name.trim(), ...created } });
      } catch (err) {
        const { error, status } = formFailure(request, err);
        return page(request, reply, { error, values }, status);
      }
    });

    app.post<{ Params: { id: string } }>('/account/tokens/:id/revoke', async (request, reply) => {
      await deps.db.transaction().execute((trx) =>
        revokeApiToken(trx, deps, {
          actor: requireUser(request),
          origin: request.origin,
          tokenId: request.params.id,
        }),
      );
      return reply.redirect('/account/tokens?revoked=1', 303);
    });
  };
}
