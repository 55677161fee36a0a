import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
export const isLoopback = (address: string): boolean => LOOPBACK.test(address);

/** The socket's peer address; null without a socket (an in-process app.request()). */
export function peerAddress(c: Context): string | null {
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null;
  }
}

/**
 * The client as the front door saw it. Forwarding headers are honoured only
 * with TRUST_PROXY and only from a loopback peer (the stack's nginx), never
 * from a remote one: X-Real-IP (nginx sets it to the address it saw,
 * replacing any sent), else the last X-Forwarded-For entry (the one the proxy
 * added; earlier ones are the client's own claims).
 */
export function clientAddress(c: Context, trustProxy: boolean): string {
  const peer = peerAddress(c) ?? 'in-process';
  if (!trustProxy || !isLoopback(peer)) return peer;
  const real = c.req.header('x-real-ip')?.trim();
  if (real) return real;
  const forwarded = c.req.header('x-forwarded-for');
  if (forwarded) return forwarded.split(',').at(-1)!.trim();
  return peer;
}

/**
 * A client on this host: the peer is loopback, and a request that came
 * through a proxy (it carries forwarding headers) counts as local only when
 * the proxy is trusted and saw a loopback client. So behind nginx, a public
 * client is never local, whatever it sends. A call without a socket (the app
 * called in-process) is local.
 */
export function isLocalClient(c: Context, trustProxy: boolean): boolean {
  const peer = peerAddress(c);
  if (peer === null) return true; // no socket: called in-process
  if (!isLoopback(peer)) return false;
  const proxied =
    c.req.header('x-real-ip') !== undefined || c.req.header('x-forwarded-for') !== undefined;
  if (!proxied) return true;
  return trustProxy && isLoopback(clientAddress(c, true));
}
