/** An operator as the API writes it: auth settings redacted to fingerprints, mapping as stored. */

import Type from "typebox";
import { describeAuth } from "../../../../app/admin/operators.ts";
import { type Operator, STATUSES } from "../../../../domain/model.ts";
import { ID, iso, OneOf, STRINGS, Strict, TIME } from "./schemas.ts";

export const KEY = Type.String({
  pattern: "^[A-Za-z0-9_-]{3,64}$",
  description: "Public key in the postback URL.",
});
export const STATUS = OneOf(STATUSES);

const TEXTS = Type.Record(Type.String(), Type.String());

export const MAPPING_INPUT = Strict({
  params: Type.Optional(
    Type.Record(Type.String(), Type.String(), {
      description: "Your parameter name → contract field (btag → click_id).",
      maxProperties: 64,
    }),
  ),
  values: Type.Optional(
    Type.Record(Type.String(), Type.Record(Type.String(), Type.String(), { maxProperties: 100 }), {
      description: "Contract field → { your value → contract value } (event: dep → ftd).",
      maxProperties: 12,
    }),
  ),
});

const MAPPING = Type.Object({ params: TEXTS, values: Type.Record(Type.String(), TEXTS) });

export const OPERATOR_PROPERTIES = {
  id: ID,
  name: Type.String(),
  key: Type.String(),
  status: STATUS,
  postback_url: Type.String(),
  auth: Type.Object({
    hmac_secrets: Type.Array(Type.Object({ fingerprint: Type.String(), position: Type.Integer() }), {
      description: "Live secrets, oldest first, by fingerprint (first 16 hex of sha256 of the secret).",
    }),
    ip_allowlist: STRINGS,
    trusted_proxies: STRINGS,
    static_token: Type.Boolean({ description: "Whether a static token is set (never shown again)." }),
  }),
  mapping: MAPPING,
  created_at: TIME,
  updated_at: TIME,
};
export const OPERATOR = Type.Object(OPERATOR_PROPERTIES);

export function operatorJson(operator: Operator, publicUrl: string) {
  const auth = describeAuth(operator.auth);
  return {
    id: operator.id,
    name: operator.name,
    key: operator.key,
    status: operator.status,
    postback_url: `${publicUrl}/v1/postback/${encodeURIComponent(operator.key)}`,
    auth: {
      hmac_secrets: [...auth.hmacSecrets],
      ip_allowlist: [...auth.ipAllowlist],
      trusted_proxies: [...auth.trustedProxies],
      static_token: auth.staticToken,
    },
    mapping: operator.mapping,
    created_at: iso(operator.createdAt),
    updated_at: iso(operator.updatedAt),
  };
}
