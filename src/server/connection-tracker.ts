import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Knows which sockets are serving a request. Node's closeIdleConnections()
 * skips a socket that connected but has not sent a request yet (clients and
 * nginx pre-connect), which would hold a graceful shutdown open until the
 * client gives up; this closes those too.
 */
export class ConnectionTracker {
  readonly #active = new Map<Socket, number>();

  constructor(server: Server) {
    server.on('connection', (socket: Socket) => {
      this.#active.set(socket, 0);
      socket.once('close', () => this.#active.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const socket = req.socket;
      this.#active.set(socket, (this.#active.get(socket) ?? 0) + 1);
      res.once('close', () => {
        const n = (this.#active.get(socket) ?? 1) - 1;
        if (this.#active.has(socket)) this.#active.set(socket, n);
      });
    });
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
