/**
 * The ready postback URL for an operator's back office (DESIGN §2): its own parameter names and
 * macro syntax, plus a signing recipe with a worked example computed by the same code that
 * verifies signatures (never with the operator's real secret).
 */
import { type MacroSyntax, macroPlaceholder } from "../../domain/macros.ts";
import type { Operator, Principal } from "../../domain/model.ts";
import type { ContractField } from "../../domain/postback-params.ts";
import { canonicalQuery, decodeSecret, signQuery, signWebhook } from "../../domain/signing.ts";
import type { AdminDeps } from "./deps.ts";
import { operatorParamName, operatorValue } from "./mapping.ts";
import { getOperator } from "./operators.ts";

/**
 * Every parameter of the contract (CONTRACT_FIELDS), with the sample value of the worked example
 * (null: left out of it). An empty value counts as absent, so a back office may fill every macro.
 */
const TEMPLATE_FIELDS: ReadonlyArray<readonly [ContractField, boolean, string | null, string]> = [
  ["event", true, "ftd", "Event type (registration, ftd, deposit… or the program's own)."],
  ["txid", true, "dep-1001", "Your unique id of this event: the idempotency key."],
  ["click_id", false, "cid_example", "The click_id from the landing URL; needed until player_id is linked."],
  ["player_id", false, "player-42", "Your customer id; links later events to the first click."],
  ["amount", false, "100.50", "Exact decimal string, for money events."],
  ["currency", false, "EUR", "ISO 4217 code of amount."],
  ["lots", false, null, "Forex volume in lots (decimal), for trade events."],
  ["reverses", false, null, "For refund, chargeback, reversal: the txid of the event reversed."],
  [
    "occurred_at",
    false,
    null,
    "When it happened: ISO 8601 with a time zone, or unix seconds (default: receipt time).",
  ],
  ["sub_id", false, null, "Your own reference, kept as received."],
  ["test", false, null, "1: test mode (full pipeline, flagged, no money); empty or 0: live."],
  ["program_id", false, null, "The program, when you have several and the click does not tell."],
];

/** Standard Webhooks' published example secret: shows the arithmetic, opens nothing. */
const EXAMPLE_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const EXAMPLE_TIMESTAMP = "1767225600";

interface TemplateParameter {
  readonly name: string;
  readonly field: string;
  readonly placeholder: string;
  readonly required: boolean;
  readonly description: string;
  /** The operator's values translated for this field (raw → contract). */
  readonly values: Readonly<Record<string, string>>;
}

export interface PostbackTemplate {
  readonly url: string;
  readonly method: "GET" | "POST";
  readonly syntax: MacroSyntax;
  /** POST: the JSON body with placeholders (substitute, then sign the exact bytes). */
  readonly body: string | null;
  readonly parameters: readonly TemplateParameter[];
  readonly auth: { readonly hmac: boolean; readonly ipAllowlist: boolean; readonly staticToken: boolean };
  readonly signing: {
    readonly scheme: "hmac-sha256-query" | "standard-webhooks" | "none";
    readonly steps: readonly string[];
    readonly example: Readonly<Record<string, unknown>> | null;
  };
}

function parametersOf(operator: Operator, syntax: MacroSyntax): TemplateParameter[] {
  return TEMPLATE_FIELDS.map(([field, required, , description]) => ({
    name: operatorParamName(operator.mapping, field),
    field,
    placeholder: macroPlaceholder(field, syntax),
    required,
    description,
    values: operator.mapping.values[field] ?? {},
  }));
}

function samplePairs(operator: Operator): Array<[string, string]> {
  return TEMPLATE_FIELDS.flatMap(
    ([field, , sample]): Array<[string, string]> =>
      sample === null
        ? []
        : [[operatorParamName(operator.mapping, field), operatorValue(operator.mapping, field, sample)]],
  );
}

const EXAMPLE_KEY = (): Buffer => {
  const decoded = decodeSecret(EXAMPLE_SECRET);
  if (!decoded.ok) throw new Error("the example secret does not decode");
  return decoded.value;
};

const KEY_STEP =
  "Key: the bytes of the secret after 'whsec_', base64-decoded (the whole string is not the key).";

function queryRecipe(operator: Operator, base: string): PostbackTemplate["signing"] {
  const pairs: Array<[string, string]> = [...samplePairs(operator), ["ts", EXAMPLE_TIMESTAMP]];
  const sig = signQuery(EXAMPLE_KEY(), pairs);
  return {
    scheme: "hmac-sha256-query",
    steps: [
      "Set ts to the current time in unix seconds (accepted within 5 minutes of our clock).",
      "Take every query parameter except sig, ts included; percent-encode each name and value per RFC 3986 (unreserved A-Z a-z 0-9 - _ . ~ kept, every other UTF-8 byte as %XX upper case).",
      "Sort the pairs by encoded name, then by encoded value (byte order); join each as name=value with '&'.",
      `sig = lowercase hex HMAC-SHA256 of that string. ${KEY_STEP}`,
      "Append sig to the query. Either live secret may sign (rotation keeps two).",
    ],
    example: {
      secret: EXAMPLE_SECRET,
      timestamp: EXAMPLE_TIMESTAMP,
      canonical: canonicalQuery(pairs),
      signature: sig,
      url: `${base}?${new URLSearchParams([...pairs, ["sig", sig]]).toString()}`,
    },
  };
}

function webhookRecipe(operator: Operator): PostbackTemplate["signing"] {
  const body = JSON.stringify(Object.fromEntries(samplePairs(operator)));
  // The integration guide's rule: webhook-id is the event's txid (the same on every retry).
  const id = "dep-1001";
  return {
    scheme: "standard-webhooks",
    steps: [
      "webhook-id: the event's txid (unique per event, the same when retrying it; printable ASCII, at most 255 characters).",
      "webhook-timestamp: the current time in unix seconds (accepted within 5 minutes of our clock).",
      `webhook-signature: 'v1,' + base64 HMAC-SHA256 of webhook-id + '.' + webhook-timestamp + '.' + the exact body bytes. ${KEY_STEP}`,
      "Any Standard Webhooks library signs this way; either live secret may sign (rotation keeps two).",
    ],
    example: {
      secret: EXAMPLE_SECRET,
      body,
      headers: {
        "webhook-id": id,
        "webhook-timestamp": EXAMPLE_TIMESTAMP,
        "webhook-signature": signWebhook(EXAMPLE_KEY(), id, EXAMPLE_TIMESTAMP, body),
      },
    },
  };
}

const TOKEN_STEP =
  "Send the static token as Authorization: Bearer <token>, an X-Postwire-Token header or a token parameter.";

function recipeOf(operator: Operator, method: "GET" | "POST", base: string): PostbackTemplate["signing"] {
  const staticToken = operator.auth.staticTokenHash !== null;
  if (operator.auth.hmacSecrets.length === 0) {
    return { scheme: "none", steps: staticToken ? [TOKEN_STEP] : [], example: null };
  }
  const recipe = method === "GET" ? queryRecipe(operator, base) : webhookRecipe(operator);
  return staticToken ? { ...recipe, steps: [...recipe.steps, TOKEN_STEP] } : recipe;
}

export async function postbackTemplate(
  deps: AdminDeps,
  principal: Principal,
  id: number,
  syntax: MacroSyntax,
  method: "GET" | "POST",
): Promise<PostbackTemplate> {
  const operator = await getOperator(deps, principal, id);
  const base = `${deps.publicUrl}/v1/postback/${encodeURIComponent(operator.key)}`;
  const parameters = parametersOf(operator, syntax);
  const hmac = operator.auth.hmacSecrets.length > 0;
  const staticToken = operator.auth.staticTokenHash !== null;
  const auth = { hmac, ipAllowlist: operator.auth.ipAllowlist.length > 0, staticToken };
  const signing = recipeOf(operator, method, base);
  // The token, when required, rides in the query; GET signatures add ts and sig there too.
  const query = [
    ...(method === "GET" ? parameters.map((p) => `${p.name}=${p.placeholder}`) : []),
    ...(method === "GET" && hmac ? ["ts", "sig"] : []).map((n) => `${n}=${macroPlaceholder(n, syntax)}`),
    ...(staticToken ? [`token=${macroPlaceholder("token", syntax)}`] : []),
  ];
  const url = query.length ? `${base}?${query.join("&")}` : base;
  const body =
    method === "POST" ? `{${parameters.map((p) => `"${p.name}":"${p.placeholder}"`).join(",")}}` : null;
  return { url, method, syntax, body, parameters, auth, signing };
}
