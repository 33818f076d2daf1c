/**
 * Postback requests refused before any route runs still get their request-log row where they can be
 * told apart (DESIGN: every postback, accepted or not, is logged). node:http refuses some before
 * Fastify sees them; for a request that is not valid HTTP (a malformed or too large head) it hands
 * over the bytes it was parsing, and when those start with a request line naming
 * /v1/postback/{key}, the refusal goes through the ingestor's reject path like any other.
 *
 * Not logged, because nothing of the request is left to log: headers that never complete (the
 * timeout comes with no bytes) and heads whose request line arrived in an earlier packet. Watching
 * every connection's bytes in JavaScript would catch those too, but it takes the socket off Node's
 * native parser path and cost 8–10 % of the service's peak requests/s (bench/README.md).
 */
import type { LoggableRequest, PostbackIngestor } from "../../app/ingest/ingest-postback.ts";
import type { ErrorCode } from "../../domain/errors.ts";
import { type Arrival, refusedRequest } from "./routes/postback.ts";

const REQUEST_LINE = /^([A-Z]{1,16}) (\/\S*) HTTP\/\d\.\d\r?\n/;
/** The postback route (ignoreTrailingSlash); the key as sent, percent-decoded below. */
const POSTBACK_PATH = /^\/v1\/postback\/([^/?]+)\/?$/;

/** The postback request whose head starts `packet` (what node:http was parsing), else undefined. */
export function postbackInPacket(packet: Buffer | undefined, arrival: Arrival): LoggableRequest | undefined {
  if (!packet) return undefined;
  const line = REQUEST_LINE.exec(packet.toString("latin1", 0, 8192));
  return line ? earlyPostbackRequest(line[1]!, line[2]!, {}, arrival) : undefined;
}

/** A request to the postback route refused before it ran, as the request log needs it; else undefined. */
export function earlyPostbackRequest(
  method: string,
  url: string,
  headers: LoggableRequest["headers"],
  arrival: Arrival,
): LoggableRequest | undefined {
  const q = url.indexOf("?");
  const match = POSTBACK_PATH.exec(q === -1 ? url : url.slice(0, q));
  if (!match) return undefined;
  let key = match[1]!;
  try {
    key = decodeURIComponent(key);
  } catch {
    // Kept as sent: it names no operator, and the log row shows what arrived.
  }
  return refusedRequest(url, key, method, headers, arrival);
}

/** Logs a refused early postback through the ingestor; never throws (the answer is already sent). */
export function logEarlyReject(
  ingestor: PostbackIngestor,
  request: LoggableRequest,
  code: ErrorCode,
  message: string,
  onError: (error: unknown) => void,
): void {
  try {
    ingestor.reject(request, code, message).catch(onError);
  } catch (error) {
    onError(error);
  }
}
