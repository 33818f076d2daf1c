/** The wire shape of an operator: auth settings redacted to fingerprints, mapping as stored. */
import { describeAuth } from "../../../../app/admin/operators.ts";
import { type Operator, STATUSES } from "../../../../domain/model.ts";
import { ID, iso, object, record, STRINGS, TIME } from "./schemas.ts";

export const KEY = {
  type: "string",
  pattern: "^[A-Za-z0-9_-]{3,64}$",
  description: "Public key in the postback URL.",
};
export const STATUS = { type: "string", enum: [...STATUSES] };

export const MAPPING_INPUT = object({
  params: {
    type: "object",
    description: "Your parameter name → contract field (btag → click_id).",
    additionalProperties: { type: "string" },
    maxProperties: 64,
  },
  values: {
    type: "object",
    description: "Contract field → { your value → contract value } (event: dep → ftd).",
    additionalProperties: { type: "object", additionalProperties: { type: "string" }, maxProperties: 100 },
    maxProperties: 12,
  },
});

const MAPPING = record({
  params: { type: "object", additionalProperties: { type: "string" } },
  values: {
    type: "object",
    additionalProperties: { type: "object", additionalProperties: { type: "string" } },
  },
});

export const OPERATOR = record({
  id: ID,
  name: { type: "string" },
  key: { type: "string" },
  status: STATUS,
  postback_url: { type: "string" },
  auth: record({
    hmac_secrets: {
      type: "array",
      description: "Live secrets, oldest first, by fingerprint (first 16 hex of sha256 of the secret).",
      items: record({ fingerprint: { type: "string" }, position: { type: "integer" } }),
    },
    ip_allowlist: STRINGS,
    trusted_proxies: STRINGS,
    static_token: { type: "boolean", description: "Whether a static token is set (never shown again)." },
  }),
  mapping: MAPPING,
  created_at: TIME,
  updated_at: TIME,
});

export function operatorJson(operator: Operator, publicUrl: string) {
  const auth = describeAuth(operator.auth);
  return {
    id: operator.id,
    name: operator.name,
    key: operator.key,
    status: operator.status,
    postback_url: `${publicUrl}/v1/postback/${encodeURIComponent(operator.key)}`,
    auth: {
      hmac_secrets: auth.hmacSecrets,
      ip_allowlist: auth.ipAllowlist,
      trusted_proxies: auth.trustedProxies,
      static_token: auth.staticToken,
    },
    mapping: operator.mapping,
    created_at: iso(operator.createdAt),
    updated_at: iso(operator.updatedAt),
  };
}
