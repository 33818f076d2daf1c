/**
 * The trace of a request-log entry that was not traced when it arrived (a live postback), rebuilt
 * on request from what is kept: the entry (outcome, reason, raw request with secrets redacted), the
 * operator's current mapping, the conversion it names, its ledger entries and its deliveries. What
 * is not kept is said so (the signature of an accepted request is not stored: it verified).
 */
import {
  addStep,
  completeTrace,
  mappingDetails,
  newTrace,
  type PostbackTrace,
  type TraceStepName,
} from "../../domain/postback-trace.ts";
import { parseFormPairs } from "../../domain/signing.ts";
import { entryDetails } from "../commissions/commission-effect.ts";
import { buildRequest, redactUrl } from "../delivery/outbound-message.ts";
import type { ConversionRow, RequestLogRow } from "../records.ts";
import type { AdminDeps } from "./deps.ts";

/** Which step refused an entry, by its code (the catalogue's classes). */
const STEP_OF_CODE: Readonly<Record<string, TraceStepName>> = {
  unknown_operator: "operator",
  operator_disabled: "operator",
  missing_signature: "authentication",
  invalid_signature: "authentication",
  signature_expired: "authentication",
  invalid_token: "authentication",
  ip_not_allowed: "authentication",
  txid_conflict: "idempotency",
  reverses_not_found: "attribution",
  reversal_exceeds_original: "attribution",
  currency_mismatch: "attribution",
  invalid_reversal: "attribution",
};

/** The pairs of the raw request as logged (GET query, or a JSON or form body; secrets redacted). */
function loggedPairs(raw: string): Array<[string, string]> {
  try {
    const parsed = JSON.parse(raw) as { method: string; query: string; body?: string };
    if (parsed.method === "GET") return parseFormPairs(parsed.query);
    const body = parsed.body ?? "";
    if (body.trimStart().startsWith("{"))
      return Object.entries(JSON.parse(body) as Record<string, unknown>).map(([k, v]) => [k, String(v)]);
    return parseFormPairs(body);
  } catch {
    return [];
  }
}

function conversionFields(row: ConversionRow): Record<string, unknown> {
  return {
    event: row.event,
    txid: row.txid,
    click_id: row.clickId,
    player_id: row.playerId,
    amount_minor: row.amountMinor,
    currency: row.currency,
    lots_milli: row.lotsMilli,
    sub_id: row.subId,
    occurred_at: new Date(row.occurredAt).toISOString(),
    test: row.test,
  };
}

export async function rebuildTrace(deps: AdminDeps, entry: RequestLogRow): Promise<PostbackTrace> {
  const trace = newTrace("rebuilt");
  const failedAt = STEP_OF_CODE[entry.code] ?? (entry.status >= 400 ? "validation" : undefined);
  const refused = (step: TraceStepName) =>
    addStep(trace, step, "failed", entry.reason ?? entry.code, { code: entry.code });
  if (failedAt === "operator" || entry.operatorId === null) {
    refused("operator");
    completeTrace(trace, undefined);
    return trace;
  }
  const operator = await deps.store.operators.get(entry.operatorId);
  addStep(trace, "operator", "passed", `Operator ${entry.operatorId}.`, { operator_id: entry.operatorId });
  if (failedAt === "authentication") refused("authentication");
  else
    addStep(
      trace,
      "authentication",
      "passed",
      "Authenticated at receipt (a verified signature is not kept).",
      {
        method: entry.method,
        client_ip: entry.ip,
      },
    );
  if (failedAt !== "authentication" && operator)
    addStep(
      trace,
      "mapping",
      "passed",
      "Mapping as configured now, applied to the request as logged.",
      mappingDetails(loggedPairs(entry.raw), operator.mapping),
    );
  const conversion = entry.conversionId ? await deps.store.getConversion(entry.conversionId) : undefined;
  if (failedAt === "validation") refused("validation");
  else if (conversion)
    addStep(trace, "validation", "passed", "Every field is valid.", { fields: conversionFields(conversion) });
  if (failedAt === "idempotency") refused("idempotency");
  else if (conversion)
    addStep(trace, "idempotency", "passed", entry.code === "duplicate" ? "A duplicate." : "txid was new.", {
      result: entry.code === "duplicate" ? "duplicate" : "new",
      conversion_id: conversion.id,
    });
  if (failedAt === "attribution") refused("attribution");
  else if (conversion && entry.code !== "duplicate") {
    await rebuildEffects(deps, trace, conversion);
  }
  completeTrace(trace, conversion && entry.code !== "duplicate" ? conversion : undefined);
  return trace;
}

async function rebuildEffects(
  deps: AdminDeps,
  trace: PostbackTrace,
  conversion: ConversionRow,
): Promise<void> {
  addStep(
    trace,
    "attribution",
    "passed",
    conversion.affiliateId === null
      ? `Unattributed (${conversion.unattributedReason}).`
      : `Attributed to affiliate ${conversion.affiliateId}.`,
    {
      link_id: conversion.linkId,
      affiliate_id: conversion.affiliateId,
      program_id: conversion.programId,
      click_id: conversion.clickId,
      unattributed_reason: conversion.unattributedReason,
      reverses_id: conversion.reversesId,
    },
  );
  const entries = await deps.store.commissions.listEntries({ conversionId: conversion.id, limit: 100 });
  if (entries.length)
    addStep(
      trace,
      "commissions",
      "passed",
      `${entries.length} ledger entr${entries.length === 1 ? "y" : "ies"} written.`,
      {
        entries: entries.map(entryDetails),
      },
    );
  const deliveries = await deps.store.deliveries.list({ conversionId: conversion.id, limit: 100 });
  if (!deliveries.length) return;
  const shown = [];
  for (const d of deliveries) {
    const endpoint = await deps.store.deliveries.endpoints.get(d.endpointId);
    const request = endpoint ? buildRequest(endpoint, d, d.createdAt) : undefined;
    shown.push({
      endpoint_id: d.endpointId,
      status: d.status,
      state: d.state,
      ...(request
        ? {
            method: request.method,
            url: redactUrl(request.url),
            ...(request.body === undefined ? {} : { body: request.body }),
          }
        : {}),
    });
  }
  addStep(
    trace,
    "outbound",
    "passed",
    `${deliveries.length} deliver${deliveries.length === 1 ? "y" : "ies"} queued.`,
    {
      deliveries: shown,
    },
  );
}
