/**
 * `postwire deliveries list|attempts|replay`: the outbox and the attempt log, read and replayed
 * directly on the database of DATABASE_URL (the running service's dispatcher then sends).
 */
import { parseArgs } from "node:util";
import { openStore } from "../adapters/storage/open-store.ts";
import type { DeliveryState } from "../app/delivery/outbox-port.ts";
import { DELIVERY_STATES } from "../app/delivery/outbox-port.ts";
import { loadConfig } from "../config.ts";
import { type CliIo, positiveIntOption as int, UsageError } from "./io.ts";
import type { Env } from "./signing-options.ts";

export const DELIVERIES_USAGE = `Usage:
  postwire deliveries list [--endpoint-id N] [--state pending|delivered|dead] [--since ISO] [--until ISO] [--limit N]
  postwire deliveries attempts [--endpoint-id N] [--delivery-id ID] [--failed] [--since ISO] [--until ISO] [--limit N]
  postwire deliveries replay --delivery-id ID
  postwire deliveries replay --endpoint-id N [--since ISO] [--until ISO] [--state dead|delivered|pending]...
Output: one JSON object per line.`;

const time = (name: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`--${name} must be an ISO 8601 time, got "${text}"`);
  return ms;
};
const states = (values: readonly string[] | undefined): DeliveryState[] | undefined => {
  for (const value of values ?? []) {
    if (!(DELIVERY_STATES as readonly string[]).includes(value))
      throw new UsageError(`--state must be one of ${DELIVERY_STATES.join(", ")}, got "${value}"`);
  }
  return values?.length ? (values as DeliveryState[]) : undefined;
};

export async function deliveriesCommand(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      "endpoint-id": { type: "string" },
      "delivery-id": { type: "string" },
      state: { type: "string", multiple: true },
      since: { type: "string" },
      until: { type: "string" },
      limit: { type: "string" },
      failed: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.out(DELIVERIES_USAGE);
    return 0;
  }
  const [action] = positionals;
  if (positionals.length !== 1 || !["list", "attempts", "replay"].includes(action ?? "")) {
    throw new UsageError(`expected "deliveries list|attempts|replay"\n${DELIVERIES_USAGE}`);
  }
  const endpointId = int("endpoint-id", values["endpoint-id"]);
  const range = { since: time("since", values.since), until: time("until", values.until) };
  const limit = int("limit", values.limit);
  const chosen = states(values.state);
  // The listing filters on one state; replay takes several.
  if (action === "list" && chosen && chosen.length > 1) {
    throw new UsageError(`deliveries list takes one --state, got ${chosen.join(", ")}`);
  }
  const config = loadConfig(env);
  const store = openStore(config.databaseUrl, { sqliteSynchronous: config.sqliteSynchronous });
  try {
    await store.migrate();
    const d = store.deliveries;
    if (action === "list") {
      for (const row of await d.list({ endpointId, state: chosen?.[0], limit, ...range }))
        io.out(JSON.stringify(row));
    } else if (action === "attempts") {
      const filter = {
        endpointId,
        deliveryId: values["delivery-id"],
        failed: values.failed || undefined,
        limit,
        ...range,
      };
      for (const row of await d.attempts(filter)) io.out(JSON.stringify(row));
    } else if (values["delivery-id"]) {
      const done = await d.replay(values["delivery-id"], io.now());
      io.out(JSON.stringify({ replayed: done ? 1 : 0 }));
      return done ? 0 : 1;
    } else {
      if (endpointId === undefined) throw new UsageError("replay needs --delivery-id or --endpoint-id");
      const replayed = await d.replayRange({ endpointId, ...range, states: chosen }, io.now());
      io.out(JSON.stringify({ replayed }));
    }
    return 0;
  } finally {
    await store.close();
  }
}
