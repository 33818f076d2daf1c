/** The shape of GET /v1/operators/{id}/postback-template. */
import Type from "typebox";
import { MACRO_SYNTAXES } from "../../../../domain/macros.ts";
import { Nullable, OneOf } from "./schemas.ts";

export const TEMPLATE = Type.Object({
  url: Type.String({ description: "The postback URL with placeholders in the chosen syntax." }),
  method: OneOf(["GET", "POST"]),
  syntax: OneOf(MACRO_SYNTAXES),
  body: Nullable(Type.String(), { description: "POST: the JSON body with placeholders." }),
  parameters: Type.Array(
    Type.Object({
      name: Type.String({ description: "The operator's own parameter name." }),
      field: Type.String({ description: "The contract field it stands for." }),
      placeholder: Type.String(),
      required: Type.Boolean(),
      description: Type.String(),
      values: Type.Record(Type.String(), Type.String(), { description: "Value mapping for this field." }),
    }),
  ),
  auth: Type.Object({ hmac: Type.Boolean(), ip_allowlist: Type.Boolean(), static_token: Type.Boolean() }),
  signing: Type.Object({
    scheme: OneOf(["hmac-sha256-query", "standard-webhooks", "none"]),
    steps: Type.Array(Type.String()),
    example: Nullable(Type.Object({}, { additionalProperties: true }), {
      description: "A worked example with a published sample secret, computed by the verifying code.",
    }),
  }),
});
