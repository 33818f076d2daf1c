/**
 * The postback contract v1 as route schemas, for /openapi.json. They document, they do not
 * validate: the postback routes take any input and the ingestor answers it by the contract's own
 * rules and codes (postback.ts installs a validator that accepts everything), as the node:http hot
 * route does for the GETs it takes first.
 */
import Type from "typebox";
import { UNATTRIBUTED_REASONS } from "../../../app/records.ts";
import { CONTRACT_FIELDS } from "../../../domain/postback-params.ts";
import { SIGNING_MISTAKES } from "../../../domain/signature-diagnosis.ts";
import { ERROR } from "./admin/schemas.ts";

const FIELD_DOCS: Record<string, string> = {
  event:
    "Event type: registration, ftd, deposit, bonus, revenue, qualified_trader, trade, challenge_purchase, evaluation_pass, funded, refund, chargeback, reversal, or the program's own.",
  txid: "Your unique id of this event: the idempotency key (required).",
  click_id: "From the click; needed until a player_id is linked.",
  player_id: "Your customer id; links later events to the first click.",
  amount: "Exact decimal string in the currency's minor unit (JPY 0 decimals, BHD 3).",
  currency: "ISO 4217 code.",
  lots: "Forex volume in lots (decimal).",
  reverses: "For refund/chargeback/reversal: the txid of the event reversed.",
  occurred_at: "ISO 8601 with time zone, or unix seconds; default: receipt time.",
  sub_id: "Kept as received.",
  test: "1: test mode (full pipeline, flagged, no money).",
  program_id: "The program, when the operator has several and the click does not tell.",
};

const text = (description: string) => Type.Optional(Type.String({ description }));

const CONTRACT = Object.fromEntries(CONTRACT_FIELDS.map((f) => [f, text(FIELD_DOCS[f] ?? f)]));
const TOKEN = text("Static token, for operators configured with one (only together with an IP allowlist).");
const SIGNED_QUERY = {
  ts: text("GET signing: unix seconds (5 minute tolerance)."),
  sig: text(
    "GET signing: hex HMAC-SHA256 over the canonical query (all parameters but sig, RFC 3986, sorted).",
  ),
};

const PARAMS = Type.Object({ operatorKey: Type.String({ description: "The operator's public key." }) });
const JSON_TYPES = ["application/json"] as const;
const json = (schema: unknown) => Object.fromEntries(JSON_TYPES.map((t) => [t, { schema }]));
const error = (description: string) => ({ description, content: json(ERROR) });

/** invalid_signature also says what was verified and the mistake recognised (docs/errors.md). */
const SIGNATURE_ERROR = Type.Object({
  ...ERROR.properties,
  diagnostics: Type.Optional(
    Type.Object({
      verified: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]), {
        description:
          "GET: canonical_query (the string signed over); POST: webhook_id, webhook_timestamp, body_length, body_sha256.",
      }),
      mistake: Type.Optional(
        Type.Union(
          SIGNING_MISTAKES.map((m) => Type.Literal(m)),
          {
            description: "The signing mistake recognised, when one is.",
          },
        ),
      ),
    }),
  ),
});

const ANSWER = {
  description:
    "accepted, or duplicate (the same txid and content: the original answer again). A 2xx means committed.",
  headers: {
    "idempotent-replayed": {
      description: "`true` on a duplicate: this answer replays the one first given for the txid.",
      schema: { type: "string", enum: ["true"] },
    },
  },
  content: json(
    Type.Object({
      code: Type.Union([Type.Literal("accepted"), Type.Literal("duplicate")]),
      conversion_id: Type.String(),
      attributed: Type.Boolean(),
      unattributed_reason: Type.Optional(
        Type.Unsafe<string>({ type: "string", enum: [...UNATTRIBUTED_REASONS] }),
      ),
      test: Type.Optional(Type.Boolean()),
      trace_url: Type.Optional(
        Type.String({
          description:
            "Test, validate-only and Postwire-Trace postbacks (refusals too): where their step trace is read (GET, admin API; relative to the service URL).",
        }),
      ),
      validate_only: Type.Optional(
        Type.Boolean({ description: "`true`: a validate-only run; nothing was stored." }),
      ),
      trace: Type.Optional(
        Type.Array(Type.Record(Type.String(), Type.Unknown()), {
          description: "Validate-only: the step trace inline (as at trace_url).",
        }),
      ),
    }),
  ),
};

/** Asks for a validate-only run (any method): the whole pipeline, nothing stored; or for a trace. */
const VALIDATE_ONLY = {
  "postwire-trace": text(
    "`1`: keep the step trace of this (live) postback, as for a test one; the answer carries trace_url.",
  ),
  "postwire-validate-only": text(
    "`1`: validate only. The whole pipeline runs and answers as a real run would (with `validate_only: true` and the trace inline), in a transaction rolled back: no conversion, idempotency record, binding, ledger entry or delivery is stored; the request log keeps the request, marked validate-only.",
  ),
};

const RESPONSES = {
  200: ANSWER,
  400: error("Invalid input; `field` names it."),
  401: {
    description:
      "missing_signature, invalid_signature (with diagnostics), signature_expired or invalid_token.",
    content: json(SIGNATURE_ERROR),
  },
  403: error("ip_not_allowed or operator_disabled."),
  404: error("unknown_operator."),
  409: error("txid_conflict: the same txid with different content."),
  413: error("payload_too_large."),
  429: error("overloaded; retry after Retry-After seconds."),
  500: error("internal_error."),
  503: error("storage_unavailable; retry after Retry-After seconds."),
};

const CONTRACT_TEXT =
  "The postback contract v1. Names and values go through the operator's parameter mapping; every request lands in the request log; operators retry any non-2xx.";

export const POSTBACK_GET = {
  summary: "Report a conversion (query string, signed with ts and sig)",
  description: CONTRACT_TEXT,
  tags: ["postback"],
  security: [],
  params: PARAMS,
  querystring: Type.Object({ ...CONTRACT, ...SIGNED_QUERY, token: TOKEN }, { additionalProperties: true }),
  headers: Type.Object(VALIDATE_ONLY),
  response: RESPONSES,
};

const BODY = Type.Object(CONTRACT, { additionalProperties: Type.String() });

export const POSTBACK_POST = {
  summary: "Report a conversion (JSON or form body, Standard Webhooks headers)",
  description: CONTRACT_TEXT,
  tags: ["postback"],
  security: [],
  params: PARAMS,
  querystring: Type.Object({ token: TOKEN }, { additionalProperties: true }),
  headers: Type.Object({
    "webhook-id": text(
      "Standard Webhooks message id (use the txid): printable ASCII, at most 255 characters.",
    ),
    "webhook-timestamp": text("Standard Webhooks timestamp: unix seconds (5 minute tolerance)."),
    "webhook-signature": text("Standard Webhooks signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>."),
    ...VALIDATE_ONLY,
  }),
  body: {
    content: {
      "application/json": { schema: BODY },
      "application/x-www-form-urlencoded": { schema: BODY },
    },
  },
  response: { ...RESPONSES, 415: error("unsupported_media_type.") },
};

/** The other methods: refused, and logged, so a misconfigured back office learns why. */
export const POSTBACK_OTHER = {
  summary: "Refused: the postback takes GET or POST (logged in the request log)",
  tags: ["postback"],
  security: [],
  params: PARAMS,
  response: {
    405: {
      ...error("method_not_allowed."),
      headers: { allow: { description: "GET, POST", schema: { type: "string" } } },
    },
    404: error("unknown_operator."),
    503: error("storage_unavailable; retry after Retry-After seconds."),
  },
};
