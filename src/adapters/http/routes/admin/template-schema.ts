/** The shape of GET /v1/operators/{id}/postback-template. */
import { MACRO_SYNTAXES } from "../../../../domain/macros.ts";
import { nullable, record } from "./schemas.ts";

const STRING = { type: "string" } as const;

export const TEMPLATE = record({
  url: { type: "string", description: "The postback URL with placeholders in the chosen syntax." },
  method: { type: "string", enum: ["GET", "POST"] },
  syntax: { type: "string", enum: [...MACRO_SYNTAXES] },
  body: nullable({ type: "string", description: "POST: the JSON body with placeholders." }),
  parameters: {
    type: "array",
    items: record({
      name: { type: "string", description: "The operator's own parameter name." },
      field: { type: "string", description: "The contract field it stands for." },
      placeholder: STRING,
      required: { type: "boolean" },
      description: STRING,
      values: { type: "object", additionalProperties: STRING, description: "Value mapping for this field." },
    }),
  },
  auth: record({
    hmac: { type: "boolean" },
    ip_allowlist: { type: "boolean" },
    static_token: { type: "boolean" },
  }),
  signing: record({
    scheme: { type: "string", enum: ["hmac-sha256-query", "standard-webhooks", "none"] },
    steps: { type: "array", items: STRING },
    example: {
      type: ["object", "null"],
      additionalProperties: true,
      description: "A worked example with a published sample secret, computed by the verifying code.",
    },
  }),
});
