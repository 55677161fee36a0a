import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Node's client-error codes, and the status each gets. */
const STATUS_OF: Record<string, [number, string, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [
    408,
    'request_timeout',
    'the request (headers and body) was not received in time',
  ],
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', 'the request headers are too large'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'payload_too_large', 'a chunk extension is too large'],
  ERR_HTTP_HEADERS_TOO_LARGE: [431, 'headers_too_large', 'the request headers are too large'],
};

/**
 * Answers what Node's HTTP parser refuses (a timeout, oversized headers, a
 * malformed request) with problem+json, as the app answers everything else,
 * where the socket still allows an answer; then closes the connection.
 */
export function answerClientErrors(server: Server): void {
  // An Expect other than 100-continue: Node answers a bare 417 unless asked.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const body = JSON.stringify({
      type: 'urn:vecserve:problem:expectation_failed',
      title: 'expectation failed',
      status: 417,
      code: 'expectation_failed',
      detail: `Expect: ${req.headers.expect} is not supported (only 100-continue is)`,
    });
    res.writeHead(417, { 'content-type': 'application/problem+json', connection: 'close' });
    res.end(body);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const code = err.code ?? '';
    if (code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, problemCode, detail] = STATUS_OF[code] ?? [
      400,
      'malformed_request',
      `the request is not valid HTTP/1.1 (${code || err.message})`,
    ];
    const body = JSON.stringify({
      type: `urn:vecserve:problem:${problemCode}`,
      title: problemCode.replace(/_/g, ' '),
      status,
      code: problemCode,
      detail,
    });
    const reason = {
      400: 'Bad Request',
      408: 'Request Timeout',
      413: 'Payload Too Large',
      431: 'Request Header Fields Too Large',
    }[status];
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
    socket.destroySoon?.();
  });
}
