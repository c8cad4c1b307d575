import type { FastifyReply } from 'fastify';
import type { DomainError } from '../../errors.js';
import { ErrorNotice } from '../pages/forms.js';

/**
 * The page a refused change of a case answers with, for the case page's forms whose route modules
 * cannot re-render the case page: what was not done, why (with the stable code), and a way back.
 */
export function replyChangeRefused(
  reply: FastifyReply,
  refusal: {
    heading: string;
    error: DomainError;
    status: number;
    back: string;
    caseNumber: number;
    projectName: string;
    /** One more sentence under the link, e.g. how to keep what was typed. */
    hint?: string;
  },
): FastifyReply {
  return reply.page(
    <section class="error">
      <h1>{refusal.heading}</h1>
      <ErrorNotice error={refusal.error} />
      <p class="muted">
        Error code: <code>{refusal.error.code}</code>
      </p>
      <p>
        <a href={refusal.back}>Back to case #{refusal.caseNumber}</a>
        {refusal.hint ? ` ${refusal.hint}` : ''}
      </p>
    </section>,
    { title: `Case #${refusal.caseNumber} · ${refusal.projectName}`, status: refusal.status },
  );
}
