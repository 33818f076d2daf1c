/**
 * Inbound metrics (prom-client): postbacks by operator and answer code, unattributed postbacks,
 * the postback answer time, clicks by outcome, and the size of each group commit. Label sets stay
 * bounded: operators are the ids of stored operators ("none" before one is known, e.g. an unknown
 * key), codes come from the error catalogue, click outcomes and commit paths are closed sets.
 */
import { Counter, Histogram, type Registry } from "prom-client";
import type { ClickAnswer } from "../../app/clicks/record-click.ts";
import type { PostbackAnswer } from "../../app/ingest/postback-answers.ts";

/** Which group committer a batch size is about. */
export const COMMIT_PATHS = ["postbacks", "clicks"] as const;
export type CommitPath = (typeof COMMIT_PATHS)[number];

export interface InboundMetrics {
  postback(answer: PostbackAnswer, operatorId: number | null, startedNs: bigint): void;
  click(kind: ClickAnswer["kind"]): void;
  /** Told of each flush's size by the group committer of `path`. */
  flushed(path: CommitPath): (size: number) => void;
}

/** Seconds: from 1 ms (a batch that commits at once) to the 10 s of a request timeout. */
const ANSWER_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

export function registerInboundMetrics(registry: Registry): InboundMetrics {
  const registers = [registry];
  const postbacks = new Counter({
    name: "postwire_postbacks_total",
    help: "Postbacks answered, by operator id (none: no operator known) and answer code (accepted, duplicate, or the error's code).",
    labelNames: ["operator", "code"] as const,
    registers,
  });
  const unattributed = new Counter({
    name: "postwire_postbacks_unattributed_total",
    help: "Postbacks accepted without an affiliate (unattributed), by operator id.",
    labelNames: ["operator"] as const,
    registers,
  });
  const duration = new Histogram({
    name: "postwire_postback_duration_seconds",
    help: "Time from a postback's arrival to its answer (the group commit included).",
    buckets: ANSWER_BUCKETS,
    registers,
  });
  const clicks = new Counter({
    name: "postwire_clicks_total",
    help: "Click redirects answered, by outcome (redirect, not_found, unavailable).",
    labelNames: ["outcome"] as const,
    registers,
  });
  const batches = new Histogram({
    name: "postwire_group_commit_size",
    help: "Items per group commit (one transaction, one fsync), by path.",
    labelNames: ["path"] as const,
    buckets: BATCH_BUCKETS,
    registers,
  });
  // Looking a labelled child up by its label values hashes them on every call: the children are
  // kept by key instead (bounded like the labels). Clicks, the hottest path, have theirs made now.
  const clickChildren: Record<ClickAnswer["kind"], Counter.Internal> = {
    redirect: clicks.labels({ outcome: "redirect" }),
    not_found: clicks.labels({ outcome: "not_found" }),
    unavailable: clicks.labels({ outcome: "unavailable" }),
  };
  /** Per operator (null: none known), its children by answer code and its unattributed child. */
  interface OperatorChildren {
    readonly byCode: Map<string, Counter.Internal>;
    readonly unattributed: Counter.Internal;
    readonly label: string;
  }
  const operators = new Map<number | null, OperatorChildren>();
  const childrenOf = (operatorId: number | null): OperatorChildren => {
    let found = operators.get(operatorId);
    if (!found) {
      const label = operatorId === null ? "none" : String(operatorId);
      found = { byCode: new Map(), unattributed: unattributed.labels({ operator: label }), label };
      operators.set(operatorId, found);
    }
    return found;
  };
  return {
    postback(answer, operatorId, startedNs) {
      const of = childrenOf(operatorId);
      let counter = of.byCode.get(answer.code);
      if (!counter) {
        counter = postbacks.labels({ operator: of.label, code: answer.code });
        of.byCode.set(answer.code, counter);
      }
      counter.inc();
      if (answer.unattributed) of.unattributed.inc();
      duration.observe(Number(process.hrtime.bigint() - startedNs) / 1e9);
    },
    click(kind) {
      clickChildren[kind].inc();
    },
    flushed(path) {
      const sizes = batches.labels({ path });
      return (size) => sizes.observe(size);
    },
  };
}
