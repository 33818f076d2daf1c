/**
 * `postwire commissions recalculate`: credit the conversions a program received while no plan was
 * in force, or (--replan) decide again those decided under another plan version
 * (docs/commissions.md "Recalculation"), directly on the database of DATABASE_URL. A
 * preview unless `--apply`; the run is recorded with no API key (the command line).
 */
import { parseArgs } from "node:util";
import { createIds, systemClock } from "../adapters/clock-and-ids.ts";
import { openStore } from "../adapters/storage/open-store.ts";
import { serviceSecrets } from "../app/access/service-secrets.ts";
import { Catalog } from "../app/catalog.ts";
import { planCacheFor } from "../app/commissions/plan-cache.ts";
import {
  COMMAND_LINE_ADMIN,
  type RecalculationResult,
  recalculateCommissions,
} from "../app/commissions/recalculate-commissions.ts";
import { loadConfig } from "../config.ts";
import { formatMinor } from "../domain/money.ts";
import { type CliIo, positiveIntOption, UsageError } from "./io.ts";
import type { Env } from "./signing-options.ts";

export const COMMISSIONS_USAGE = `Usage:
  postwire commissions recalculate --program ID --from ISO --to ISO [--replan] [--include-paid-periods] [--apply] [--json]
Credits the conversions of the program with occurred_at in [from, to) that earned nothing (received
while no plan was in force), by the plans in force now. With --replan, also decides again those
decided under another plan or deal version than the one now in force (what remains of their entries
is compensated first). Without --apply: a preview, nothing stored.`;

const time = (name: string, text: string | undefined): number => {
  const ms = text === undefined ? Number.NaN : Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`--${name} must be an ISO 8601 time, got "${text ?? ""}"`);
  return ms;
};

/** What a person reads: the run, its totals, what it left alone. */
function summary(r: RecalculationResult): string[] {
  const lines = [
    `${r.preview ? "Preview (nothing stored)" : `Recalculation ${r.id}`}: program ${r.programId}, ` +
      `${new Date(r.from).toISOString()} to ${new Date(r.to).toISOString()}`,
    `${r.conversions} conversions credited, ${r.entries} ledger entries, ${r.messages} outbound messages`,
  ];
  if (r.replaced)
    lines.push(`${r.replaced} decided under another plan version: compensated and decided again`);
  for (const [currency, byStatus] of Object.entries(r.totals))
    for (const [status, minor] of Object.entries(byStatus))
      lines.push(`  ${currency} ${status}: ${formatMinor(minor, currency)}`);
  if (r.skippedPaid)
    lines.push(`${r.skippedPaid} left alone: their month is paid (--include-paid-periods credits them too)`);
  if (r.preview && r.entries) lines.push("Run again with --apply to write them.");
  return lines;
}

export async function commissionsCommand(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      program: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      "include-paid-periods": { type: "boolean", default: false },
      replan: { type: "boolean", default: false },
      apply: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.out(COMMISSIONS_USAGE);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== "recalculate")
    throw new UsageError(`expected "commissions recalculate"\n${COMMISSIONS_USAGE}`);
  const programId = positiveIntOption("program", values.program);
  if (programId === undefined) throw new UsageError(`--program is required\n${COMMISSIONS_USAGE}`);
  const request = {
    programId,
    from: time("from", values.from),
    to: time("to", values.to),
    includePaidPeriods: values["include-paid-periods"],
    mode: values.replan ? ("replan" as const) : ("unearned" as const),
    preview: !values.apply,
  };
  const config = loadConfig(env);
  const store = openStore(config.databaseUrl, {
    sqliteSynchronous: config.sqliteSynchronous,
    postgresPoolSize: config.postgresPoolSize,
  });
  try {
    await store.migrate();
    const ids = createIds();
    const { clickSecret } = await serviceSecrets(store, ids, config.clickIdSecret);
    const clock = systemClock;
    const catalog = new Catalog(store, clock);
    const result = await recalculateCommissions(
      {
        store,
        clock,
        ids,
        commissions: { plans: planCacheFor(catalog, clock), clock, ids, clickSecrets: [clickSecret] },
      },
      COMMAND_LINE_ADMIN,
      request,
    );
    if (values.json) io.out(JSON.stringify({ ...result, written: result.written.length }));
    else for (const line of summary(result)) io.out(line);
    return 0;
  } finally {
    await store.close();
  }
}
