import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Knows which sockets are serving a request. Node's closeIdleConnections()
 * skips a socket that connected but has not sent a request yet (clients and
 * nginx pre-connect), which would hold a graceful shutdown open until the
 * client gives up; this closes those too.
 *
 * With `maxConnections`, a connection past the limit makes room by closing the
 * socket idle the longest (a keep-alive socket between requests, or one that
 * never completed a request), if it has been idle for at least `minIdleMs`;
 * otherwise the new one is refused. Sockets held idle (an idle or slowloris
 * flood) cannot lock working clients out, while a storm of fresh connections
 * (each about to send its request) is refused rather than thrashed: closing a
 * socket that connected a millisecond ago only turns one failure into two.
 */
export class ConnectionTracker {
  /** Requests in progress per socket. */
  readonly #active = new Map<Socket, number>();
  /** When each socket last became idle (insertion order = oldest first for idle ones). */
  readonly #idleSince = new Map<Socket, number>();
  #evicted = 0;
  #refused = 0;
  #minIdleMs: number;

  constructor(server: Server, opts: { maxConnections?: number; minIdleMs?: number } = {}) {
    const max = opts.maxConnections ?? Number.POSITIVE_INFINITY;
    this.#minIdleMs = opts.minIdleMs ?? 1000;
    server.on('connection', (socket: Socket) => {
      this.#active.set(socket, 0);
      this.#idleSince.set(socket, performance.now());
      socket.once('close', () => {
        this.#active.delete(socket);
        this.#idleSince.delete(socket);
      });
      if (this.#active.size > max) this.#makeRoom(socket);
    });
    // One listener function for every response (no closure per request).
    const active = this.#active;
    const idleSince = this.#idleSince;
    function onResponseClose(this: ServerResponse) {
      const socket = this.req.socket;
      const n = active.get(socket);
      if (n === undefined) return;
      active.set(socket, n - 1);
      if (n === 1) idleSince.set(socket, performance.now());
    }
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const socket = req.socket;
      active.set(socket, (active.get(socket) ?? 0) + 1);
      idleSince.delete(socket);
      res.on('close', onResponseClose);
    });
  }

  #makeRoom(newcomer: Socket): void {
    const now = performance.now();
    for (const [socket, since] of this.#idleSince) {
      if (socket === newcomer) continue;
      // The first is the longest idle (a Map keeps insertion order): if it is
      // too fresh to call idle, so is every other.
      if (now - since < this.#minIdleMs) break;
      socket.destroy();
      this.#evicted++;
      return;
    }
    newcomer.destroy();
    this.#refused++;
  }

  /** Idle sockets closed to make room, and new ones refused because none was idle. */
  get evictions(): { evicted: number; refused: number } {
    return { evicted: this.#evicted, refused: this.#refused };
  }

  get open(): number {
    return this.#active.size;
  }

  /** Ends every socket with no request in progress; returns how many. */
  closeIdle(): number {
    let closed = 0;
    for (const [socket, n] of this.#active) {
      if (n === 0) {
        socket.destroy();
        closed++;
      }
    }
    return closed;
  }
}
