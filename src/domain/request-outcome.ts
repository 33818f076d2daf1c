/**
 * What became of a postback request, in the words of the console and the API's filters (DESIGN §5:
 * accepted / duplicate / rejected / unattributed; test events apart, as test mode keeps them).
 * Decided once, when the request is logged, from its answer: a 2xx `duplicate` is a duplicate; a
 * 2xx `accepted` is a test event when flagged `test`, else unattributed when it found no affiliate,
 * else accepted; every other answer (4xx, 429, 503) is a rejection the operator has to retry or fix.
 */
export const REQUEST_OUTCOMES = ["accepted", "duplicate", "rejected", "unattributed", "test"] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];

export interface AnsweredRequest {
  readonly status: number;
  readonly code: string;
  /** An accepted event that found no affiliate. */
  readonly unattributed: boolean;
  /** An accepted event in test mode (`test=1`). */
  readonly test: boolean;
}

export function requestOutcome(answer: AnsweredRequest): RequestOutcome {
  if (answer.status < 200 || answer.status > 299) return "rejected";
  if (answer.code === "duplicate") return "duplicate";
  if (answer.code !== "accepted") return "rejected";
  if (answer.test) return "test";
  return answer.unattributed ? "unattributed" : "accepted";
}
