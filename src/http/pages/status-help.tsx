import type { FastifyInstance } from 'fastify';

/**
 * GET /status without a token: where update emails point. Only the hash of a report's status token
 * is stored, so later emails cannot carry the private link; this page tells the reporter to use the
 * link from the first email they received (or the one shown after submitting).
 */
export function statusHelpPages() {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/status', async (_request, reply) =>
      reply.page(
        <section>
          <h1>Follow your report</h1>
          <p>
            Follow your report at the private link you received when you reported it: it was shown after you sent the
            report and emailed to you if you gave an address (look for the message "report received").
          </p>
          <p>
            That link is the only key to your report. For your safety it is never sent again, and Embargo cannot look it
            up: it keeps only a fingerprint of it.
          </p>
          <p class="muted">
            Lost the link? Write to the project's security contact and quote your report's tracking id (it looks like
            R-7KQ2-9XHD and is in the subject of every email about it).
          </p>
        </section>,
        { title: 'Follow your report' },
      ),
    );
  };
}
