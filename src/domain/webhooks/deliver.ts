import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { iso } from '../../clock.js';
import { failpoint } from '../../failpoints.js';
import type { Deps } from '../../deps.js';
import { unseal } from '../instance/sealed.js';
import { signPayload } from './signature.js';
import { findDeliveryRow, findWebhookRow, updateUndeliveredRow } from './webhooks.repository.js';

// Posting a delivery to its receiver. A webhook's URL is chosen by a project admin, so the server
// must not become their way into its own network: loopback, private, link-local and unspecified
// addresses are refused when the webhook is added AND at every connection (the check sits in the
// socket's DNS lookup, so a name that resolved to a public address then, and to 127.0.0.1 now, is
// refused: DNS rebinding). EMBARGO_WEBHOOK_ALLOW_PRIVATE=1 lifts the rule.

const TIMEOUT_MS = 10_000;
/** Enough of a reply to see it arrived; the rest is not read. */
const MAX_REPLY_BYTES = 64 * 1024;

const NON_PUBLIC = new net.BlockList();
// IPv4: "this network" (0.0.0.0/8, the unspecified address), private, shared (CGNAT), loopback,
// link-local, IETF protocol, benchmarking, multicast and reserved (with broadcast). BlockList also
// matches IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) against these.
for (const [address, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(address, prefix, 'ipv4');
}
// IPv6: unspecified, loopback, NAT64 (reaches IPv4 behind the gateway), unique local, link-local,
// the old site-local, multicast.
for (const [address, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC.addSubnet(address, prefix, 'ipv6');
}

/** Whether `address` (an IP literal) is a public unicast address; false for anything that is not an IP. */
export function isPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  return !NON_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The host of a URL as an IP literal (without IPv6 brackets), or undefined for a name. */
export function ipLiteral(url: URL): string | undefined {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return net.isIP(host) === 0 ? undefined : host;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/** A socket lookup that refuses names resolving to any non-public address (unless allowed). */
function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const refused = allowPrivate ? undefined : addresses.find((a) => !isPublicAddress(a.address));
      if (refused || addresses.length === 0) {
        return callback(
          Object.assign(new Error(`${hostname} does not resolve to a public address`), { code: 'EBLOCKED' }),
          [],
        );
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0] as dns.LookupAddress;
      return callback(null, first.address, first.family);
    });
  };
}

/** Posts once; resolves with the HTTP status, rejects on network errors, refusals and the timeout. No redirect is followed. */
export function postSigned(
  url: URL,
  headers: Record<string, string>,
  body: string,
  options: { allowPrivate: boolean },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const literal = ipLiteral(url);
    if (literal !== undefined && !options.allowPrivate && !isPublicAddress(literal)) {
      reject(new Error('the webhook address is not public'));
      return;
    }
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: guardedLookup(options.allowPrivate) as unknown as net.LookupFunction,
      timeout: TIMEOUT_MS,
    });
    // The socket timeout above counts idleness; this bounds the whole exchange.
    const timer = setTimeout(() => req.destroy(new Error('timed out after 10 s')), TIMEOUT_MS);
    req.on('timeout', () => req.destroy(new Error('timed out after 10 s')));
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on('response', (res) => {
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_REPLY_BYTES) res.destroy();
      });
      const done = () => {
        clearTimeout(timer);
        resolve(res.statusCode ?? 0);
      };
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    req.end(body);
  });
}

/** The sealing context: a sealed secret opens only as the secret of the webhook it was made for. */
export const secretContext = (webhookId: string) => `webhook:${webhookId}`;

/**
 * Runs one attempt of the 'webhook.deliver' job: signs and posts the stored payload. 2xx marks it
 * delivered; anything else throws so the queue retries with backoff, and the last attempt marks it
 * failed. A delivered (or removed) delivery is left alone, so running the job twice posts once;
 * a worker dying between the post and the update posts again, so receivers deduplicate on
 * X-Embargo-Delivery (at-least-once).
 */
export async function deliverWebhook(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'secret'>,
  job: { deliveryId: string; attempt: number; maxAttempts: number },
): Promise<void> {
  const delivery = await findDeliveryRow(deps.db, job.deliveryId);
  if (!delivery || delivery.status === 'delivered') return;
  const webhook = await findWebhookRow(deps.db, { id: delivery.webhook_id });
  if (!webhook) return;
  const last = job.attempt >= job.maxAttempts;
  const fail = async (error: string, statusCode: number | null): Promise<never> => {
    await updateUndeliveredRow(deps.db, delivery.id, {
      status: last ? 'failed' : 'pending',
      attempts: delivery.attempts + 1,
      last_status_code: statusCode,
      last_error: error.slice(0, 300),
    });
    throw new Error(`webhook delivery ${delivery.id}: ${error}`);
  };

  let secret: string;
  try {
    secret = unseal(deps.secret, webhook.secret_sealed, secretContext(webhook.id));
  } catch {
    return fail('the signing secret cannot be opened (the server key changed): add the webhook again', null);
  }
  const timestamp = String(Math.floor(deps.clock.now().getTime() / 1000));
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'Embargo-Webhook',
    'x-embargo-event': delivery.event,
    'x-embargo-delivery': delivery.id,
    'x-embargo-timestamp': timestamp,
    'x-embargo-signature': signPayload(secret, timestamp, delivery.payload),
  };
  failpoint('webhook.before-post');
  let status: number;
  try {
    status = await postSigned(new URL(webhook.url), headers, delivery.payload, {
      allowPrivate: deps.config.webhooks.allowPrivate,
    });
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err), null);
  }
  if (status < 200 || status > 299) return fail(`the receiver answered HTTP ${status}`, status);
  await updateUndeliveredRow(deps.db, delivery.id, {
    status: 'delivered',
    attempts: delivery.attempts + 1,
    last_status_code: status,
    last_error: null,
    delivered_at: iso(deps.clock.now()),
  });
}
