/** /v1/operators: CRUD, parameter mapping and the ready postback URL template. */

import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import { replaceMapping } from "../../../../app/admin/operator-settings.ts";
import {
  createOperator,
  getOperator,
  getOperatorActivity,
  listOperators,
  updateOperator,
} from "../../../../app/admin/operators.ts";
import { postbackTemplate } from "../../../../app/admin/postback-template.ts";
import { MACRO_SYNTAXES } from "../../../../domain/macros.ts";
import type { Operator } from "../../../../domain/model.ts";
import type { ParamMapping } from "../../../../domain/postback-params.ts";
import { principalOf } from "../../api-auth.ts";
import { typed } from "../../type-provider.ts";
import { KEY, MAPPING_INPUT, OPERATOR, OPERATOR_PROPERTIES, operatorJson, STATUS } from "./operator-json.ts";
import { resourceRoutes } from "./resource-routes.ts";
import { adminSchema, idParams, isoOrNull, NAME, Nullable, OneOf, STRINGS, Strict, TIME } from "./schemas.ts";
import { TEMPLATE } from "./template-schema.ts";

const TAGS = ["operators"];

const CREATE_BODY = Strict({
  name: NAME,
  key: Type.Optional(KEY),
  status: Type.Optional(STATUS),
  hmac_secrets: Type.Optional(
    Type.Array(Type.String({ maxLength: 200 }), {
      maxItems: 2,
      description:
        "Omit to have one generated (returned once as `secret`); [] for none. Given by hand: whsec_ + base64 of at least 24 random bytes.",
    }),
  ),
  ip_allowlist: Type.Optional(STRINGS),
  trusted_proxies: Type.Optional(STRINGS),
  mapping: Type.Optional(MAPPING_INPUT),
});

const CREATED = Type.Object({
  ...OPERATOR_PROPERTIES,
  secret: Nullable(Type.String(), { description: "The generated HMAC secret, shown only here." }),
});

const UPDATE_BODY = Strict(
  {
    name: Type.Optional(NAME),
    key: Type.Optional(KEY),
    status: Type.Optional(STATUS),
    ip_allowlist: Type.Optional(STRINGS),
    trusted_proxies: Type.Optional(STRINGS),
  },
  { minProperties: 1 },
);

const mappingOf = (body: Partial<ParamMapping> | undefined): ParamMapping | undefined =>
  body && { params: body.params ?? {}, values: body.values ?? {} };

function crud(app: FastifyInstance, deps: AdminDeps): void {
  const toJson = (o: Operator) => operatorJson(o, deps.publicUrl);
  const operators = resourceRoutes(app, { path: "/operators", tags: TAGS, item: OPERATOR, toJson });
  operators.create({
    summary: "Create an operator",
    description: "Unless hmac_secrets is given, one HMAC secret is generated and returned once.",
    body: CREATE_BODY,
    response: CREATED,
    run: (principal, b) =>
      createOperator(deps, principal, {
        name: b.name,
        key: b.key,
        status: b.status,
        hmacSecrets: b.hmac_secrets,
        ipAllowlist: b.ip_allowlist,
        trustedProxies: b.trusted_proxies,
        mapping: mappingOf(b.mapping),
      }),
    answer: ({ operator, secret }) => ({ ...toJson(operator), secret }),
  });
  operators.list({
    summary: "List operators (an operator key sees its own)",
    load: (principal, page) => listOperators(deps, principal, page),
  });
  operators.get({ summary: "Get an operator", load: (principal, id) => getOperator(deps, principal, id) });
  operators.update({
    summary: "Change an operator's name, key, status, IP allowlist or trusted proxies",
    body: UPDATE_BODY,
    run: (principal, id, b) =>
      updateOperator(deps, principal, id, {
        name: b.name,
        key: b.key,
        status: b.status,
        ipAllowlist: b.ip_allowlist,
        trustedProxies: b.trusted_proxies,
      }),
  });
}

function mapping(app: FastifyInstance, deps: AdminDeps): void {
  const schema = adminSchema({
    summary: "Replace the parameter and value mapping (admin, or the operator's own key)",
    tags: TAGS,
    params: idParams,
    body: MAPPING_INPUT,
    response: { 200: OPERATOR },
  });
  typed(app).put("/operators/:id/mapping", { schema }, async (request) => {
    const saved = await replaceMapping(
      deps,
      principalOf(request),
      request.params.id,
      mappingOf(request.body)!,
    );
    return operatorJson(saved, deps.publicUrl);
  });
}

function template(app: FastifyInstance, deps: AdminDeps): void {
  const schema = adminSchema({
    summary: "The ready postback URL in the operator's macro syntax, with the signing recipe",
    tags: TAGS,
    params: idParams,
    querystring: Strict({
      syntax: OneOf(MACRO_SYNTAXES, { default: "curly" }),
      method: OneOf(["GET", "POST"], { default: "GET" }),
    }),
    response: { 200: TEMPLATE },
  });
  typed(app).get("/operators/:id/postback-template", { schema }, async (request) => {
    const { syntax, method } = request.query;
    const t = await postbackTemplate(deps, principalOf(request), request.params.id, syntax, method);
    const auth = { hmac: t.auth.hmac, ip_allowlist: t.auth.ipAllowlist, static_token: t.auth.staticToken };
    const parameters = t.parameters.map((p) => ({ ...p, values: { ...p.values } }));
    const signing = { ...t.signing, steps: [...t.signing.steps] };
    return { ...t, parameters, signing, auth };
  });
}

const ACTIVITY = Type.Object({
  operator_id: Type.Integer(),
  last_postback_at: Nullable(TIME, {
    description: "The last postback of any outcome still in the request log (null: none, or pruned).",
  }),
  last_accepted_at: Nullable(TIME, { description: "The last accepted postback (null: none yet)." }),
});

function activity(app: FastifyInstance, deps: AdminDeps): void {
  const schema = adminSchema({
    summary: "When the operator last sent a postback, and last had one accepted (is it silent?)",
    tags: TAGS,
    params: idParams,
    response: { 200: ACTIVITY },
  });
  typed(app).get("/operators/:id/activity", { schema }, async (request) => {
    const seen = await getOperatorActivity(deps, principalOf(request), request.params.id);
    return {
      operator_id: request.params.id,
      last_postback_at: isoOrNull(seen.lastPostbackAt),
      last_accepted_at: isoOrNull(seen.lastAcceptedAt),
    };
  });
}

export async function operatorRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  crud(app, deps);
  activity(app, deps);
  mapping(app, deps);
  template(app, deps);
}
