/** The text and HTML bodies of an outbox email. */
export interface EmailBodies {
  text: string;
  html: string;
}

// The reporter's private link: its token (43 base64url characters) is the only key to their report.
// Any path ending in /status/<token> is caught, whatever the public URL's host or prefix.
// A mailing list's confirmation link and a distributor's acknowledgement link are one-time keys
// stored only as hashes too, as are a dependent's confirmation and manage links.
const STATUS_LINK_TOKEN =
  /\/(status|lists\/confirm|distributor\/ack|dependents\/confirm|dependents\/manage)\/[A-Za-z0-9_-]{16,}/g;

/**
 * The bodies an email keeps once it has left the queue (sent, stored or given up): every private
 * status link becomes the generic `<public URL>/status` page, which explains the private link.
 *
 * Only the hash of a status token is stored with its report, so a copy of the database must not
 * hand out reporters' conversations through the outbox either. The reporter has the real link
 * (the SMTP server got it, or the confirmation page and API answer showed it); nothing will read
 * these bodies to send them again except an admin's retry of a failed email, which then carries
 * the generic link, the same as every later email about the report.
 */
export function settledBodies(bodies: EmailBodies): EmailBodies {
  return {
    text: bodies.text.replace(STATUS_LINK_TOKEN, '/$1'),
    html: bodies.html.replace(STATUS_LINK_TOKEN, '/$1'),
  };
}
