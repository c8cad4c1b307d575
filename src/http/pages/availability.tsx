import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { setAway } from '../../domain/cases/fix-team.service.js';
import { DomainError } from '../../errors.js';
import { authorize } from '../../policies/policy.js';
import { requireUser } from '../plugins/auth.js';
import { CsrfField } from '../views/layout.js';
import { field } from './forms.js';
import { requireSignIn, safeNext } from './require-user.js';

// Availability: a member marked away is skipped when round-robin proposes a Fix Lead (they can still
// be chosen by hand). Each account marks only itself.

/** A one-button form that marks the signed-in account away or back; `next` is where to return. */
export function AwayToggle({ away, csrfToken, next }: { away: boolean; csrfToken: string; next?: string }) {
  return (
    <form method="post" action="/account/away" class="inline" data-away={away ? '1' : '0'}>
      <CsrfField token={csrfToken} />
      <input type="hidden" name="away" value={away ? '0' : '1'} />
      {next ? <input type="hidden" name="next" value={next} /> : null}
      {away ? <span class="badge">Away</span> : null}{' '}
      <button type="submit" class="link">
        {away ? "I'm back" : 'Mark me away'}
      </button>
    </form>
  );
}

/** POST /account/away (away=1 or 0, optional same-site next): any signed-in account, for itself. */
export function availabilityPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post('/account/away', { preHandler: requireSignIn }, async (request, reply) => {
      // Until policy.ts has an 'account.manage' action, the rule "any account, for itself" is the one
      // 'account.tokens.manage' already states.
      authorize(request.actor, 'account.manage', { projectId: null });
      const value = field(request.body, 'away');
      if (value !== '1' && value !== '0') {
        throw new DomainError('VALIDATION_FAILED', 'away is 1 (away) or 0 (back).', { field: 'away' });
      }
      await deps.db
        .transaction()
        .execute((trx) =>
          setAway(trx, deps, { actor: requireUser(request), origin: request.origin, away: value === '1' }),
        );
      return reply.redirect(safeNext(field(request.body, 'next')) ?? '/projects', 303);
    });
  };
}
