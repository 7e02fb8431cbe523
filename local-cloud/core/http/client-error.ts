import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';

/** Node's HTTP parser errors and the status each one deserves (RFC 9110/6585). */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_INVALID_METHOD: 400,
  HPE_INVALID_CONTENT_LENGTH: 400,
  HPE_UNEXPECTED_CONTENT_LENGTH: 400,
  HPE_INVALID_TRANSFER_ENCODING: 400,
  HPE_INVALID_HEADER_TOKEN: 400,
  HPE_INVALID_URL: 400,
  HPE_INVALID_VERSION: 400,
};

/** Errors that mean the client is gone: nothing can be written back. */
const GONE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * Answers a request Node's parser refused (unknown method, bad Content-Length, headers over
 * the limit...) with a status line and a short JSON body, then closes the connection, as Node
 * itself would without a 'clientError' listener; a client that is gone is just let go.
 * Returns the status written, or undefined when none could be.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): number | undefined {
  const code = err.code ?? '';
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (GONE.has(code) || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return undefined;
  }
  const status = Object.hasOwn(STATUS_BY_CODE, code) ? STATUS_BY_CODE[code] : 400;
  const reason = STATUS_CODES[status] ?? 'Bad Request';
  const body = JSON.stringify({ __type: code || 'BadRequest', message: `${reason}: ${err.message}` });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
  // A client that never reads the answer must not hold the socket open.
  setTimeout(() => socket.destroy(), 2_000).unref();
  return status;
}
