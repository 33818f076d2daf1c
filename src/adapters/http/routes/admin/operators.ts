/** /v1/operators: CRUD, parameter mapping and the ready postback URL template. */
import type { FastifyInstance } from "fastify";
import type { AdminDeps } from "../../../../app/admin/deps.ts";
import { replaceMapping } from "../../../../app/admin/operator-settings.ts";
import {
  createOperator,
  getOperator,
  listOperators,
  updateOperator,
} from "../../../../app/admin/operators.ts";
import { postbackTemplate } from "../../../../app/admin/postback-template.ts";
import { MACRO_SYNTAXES, type MacroSyntax } from "../../../../domain/macros.ts";
import type { Operator, Status } from "../../../../domain/model.ts";
import type { ParamMapping } from "../../../../domain/postback-params.ts";
import { principalOf } from "../../api-auth.ts";
import { KEY, MAPPING_INPUT, OPERATOR, operatorJson, STATUS } from "./operator-json.ts";
import { resourceRoutes } from "./resource-routes.ts";
import { adminSchema, idParams, NAME, nullable, object, type Schema, STRINGS } from "./schemas.ts";
import { TEMPLATE } from "./template-schema.ts";

const TAGS = ["operators"];

interface OperatorBody {
  name?: string;
  key?: string;
  status?: Status;
  hmac_secrets?: string[];
  ip_allowlist?: string[];
  trusted_proxies?: string[];
  mapping?: ParamMapping;
}

const CREATE_BODY = object(
  {
    name: NAME,
    key: KEY,
    status: STATUS,
    hmac_secrets: {
      type: "array",
      items: { type: "string", maxLength: 200 },
      maxItems: 2,
      description:
        "Omit to have one generated (returned once as `secret`); [] for none. Given by hand: whsec_ + base64 of at least 24 random bytes.",
    },
    ip_allowlist: STRINGS,
    trusted_proxies: STRINGS,
    mapping: MAPPING_INPUT,
  },
  ["name"],
);

const CREATED = {
  ...OPERATOR,
  properties: {
    ...(OPERATOR["properties"] as Schema),
    secret: nullable({ type: "string", description: "The generated HMAC secret, shown only here." }),
  },
};

const UPDATE_BODY = {
  ...object({ name: NAME, key: KEY, status: STATUS, ip_allowlist: STRINGS, trusted_proxies: STRINGS }),
  minProperties: 1,
};

const mappingOf = (body: Partial<ParamMapping> | undefined): ParamMapping | undefined =>
  body && { params: body.params ?? {}, values: body.values ?? {} };

function crud(app: FastifyInstance, deps: AdminDeps): void {
  const wire = (o: Operator) => operatorJson(o, deps.publicUrl);
  const operators = resourceRoutes(app, { path: "/operators", tags: TAGS, item: OPERATOR, wire });
  operators.create({
    summary: "Create an operator",
    description: "Unless hmac_secrets is given, one HMAC secret is generated and returned once.",
    body: CREATE_BODY,
    response: CREATED,
    run: (principal, b: OperatorBody & { name: string }) =>
      createOperator(deps, principal, {
        name: b.name,
        key: b.key,
        status: b.status,
        hmacSecrets: b.hmac_secrets,
        ipAllowlist: b.ip_allowlist,
        trustedProxies: b.trusted_proxies,
        mapping: mappingOf(b.mapping),
      }),
    answer: ({ operator, secret }) => ({ ...wire(operator), secret }),
  });
  operators.list({
    summary: "List operators (an operator key sees its own)",
    load: (principal, page) => listOperators(deps, principal, page),
  });
  operators.get({ summary: "Get an operator", load: (principal, id) => getOperator(deps, principal, id) });
  operators.update({
    summary: "Change an operator's name, key, status, IP allowlist or trusted proxies",
    body: UPDATE_BODY,
    run: (principal, id, b: OperatorBody) =>
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
  app.put<{ Params: { id: number }; Body: Partial<ParamMapping> }>(
    "/operators/:id/mapping",
    { schema },
    async (request) => {
      const saved = await replaceMapping(
        deps,
        principalOf(request),
        request.params.id,
        mappingOf(request.body)!,
      );
      return operatorJson(saved, deps.publicUrl);
    },
  );
}

function template(app: FastifyInstance, deps: AdminDeps): void {
  const schema = adminSchema({
    summary: "The ready postback URL in the operator's macro syntax, with the signing recipe",
    tags: TAGS,
    params: idParams,
    querystring: object({
      syntax: { type: "string", enum: [...MACRO_SYNTAXES], default: "curly" },
      method: { type: "string", enum: ["GET", "POST"], default: "GET" },
    }),
    response: { 200: TEMPLATE },
  });
  app.get<{ Params: { id: number }; Querystring: { syntax: MacroSyntax; method: "GET" | "POST" } }>(
    "/operators/:id/postback-template",
    { schema },
    async (request) => {
      const { syntax, method } = request.query;
      const t = await postbackTemplate(deps, principalOf(request), request.params.id, syntax, method);
      const auth = { hmac: t.auth.hmac, ip_allowlist: t.auth.ipAllowlist, static_token: t.auth.staticToken };
      return { ...t, auth };
    },
  );
}

export async function operatorRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  crud(app, deps);
  mapping(app, deps);
  template(app, deps);
}
