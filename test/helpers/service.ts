/**
 * A real Postwire service for HTTP tests: a fresh database on the chosen engine, listening on
 * 127.0.0.1:0, with an admin API key, plus fixture builders for operators, programs, affiliates
 * and links written through the store.
 */

import { createIds, systemClock } from "../../src/adapters/clock-and-ids.ts";
import { createApiKey } from "../../src/app/access/api-keys.ts";
import type { Clock, Store } from "../../src/app/ports.ts";
import { type Service, startService } from "../../src/composition/start-service.ts";
import { loadConfig } from "../../src/config.ts";
import type { Affiliate, Link, Operator, OperatorAuth, Program } from "../../src/domain/model.ts";
import type { ParamMapping } from "../../src/domain/postback-params.ts";
import { encodeSecret } from "../../src/domain/signing.ts";
import { createTestDatabase, type Engine } from "./engines.ts";

export interface TestService {
  readonly service: Service;
  readonly store: Store;
  readonly url: string;
  /** The service's DATABASE_URL (for tests that seed or inspect rows directly). */
  readonly databaseUrl: string;
  readonly adminKey: string;
  /** A new key of any role. */
  key(
    role: "admin" | "operator" | "affiliate",
    owner?: { operatorId?: number; affiliateId?: number },
  ): Promise<string>;
  close(): Promise<void>;
}

export async function startTestService(
  engine: Engine = "sqlite",
  env: Record<string, string> = {},
  clock: Clock = systemClock,
): Promise<TestService> {
  const database = await createTestDatabase(engine);
  const config = loadConfig({
    DATABASE_URL: database.url,
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "silent",
    ...env,
  });
  const service = await startService(config, clock);
  const ids = createIds();
  const key: TestService["key"] = async (role, owner = {}) => {
    const created = await createApiKey(service.store, clock, ids, {
      name: `test ${role}`,
      role,
      operatorId: owner.operatorId ?? null,
      affiliateId: owner.affiliateId ?? null,
    });
    if (!created.ok) throw new Error(created.error.message);
    return created.value.secret;
  };
  return {
    service,
    store: service.store,
    url: service.url,
    databaseUrl: database.url,
    adminKey: await key("admin"),
    key,
    async close() {
      await service.stop();
      await database.drop();
    },
  };
}

export interface Fixture {
  readonly operator: Operator;
  readonly program: Program;
  readonly affiliate: Affiliate;
  readonly link: Link;
  /** The operator's first HMAC secret ('whsec_…'). */
  readonly secret: string;
}

/** One operator (HMAC-signed), one iGaming EUR program, one affiliate and one active link. */
export async function createFixture(
  store: Store,
  options: {
    auth?: Partial<OperatorAuth>;
    mapping?: ParamMapping;
    vertical?: Program["vertical"];
    currency?: string;
    /** The program's event types; default: the iGaming and forex ones (no prop events). */
    allowedEvents?: readonly string[];
  } = {},
): Promise<Fixture> {
  const now = Date.now();
  const secret = encodeSecret(createIds().random(32));
  const suffix = Math.random().toString(36).slice(2, 10);
  const operator = await store.operators.create(
    {
      name: `Operator ${suffix}`,
      key: `op_${suffix}`,
      status: "active",
      auth: {
        hmacSecrets: [secret],
        ipAllowlist: [],
        trustedProxies: [],
        staticTokenHash: null,
        ...options.auth,
      },
      mapping: options.mapping ?? { params: {}, values: {} },
    },
    now,
  );
  const program = await store.programs.create(
    {
      operatorId: operator.id,
      name: "Casino EU",
      vertical: options.vertical ?? "igaming",
      currency: options.currency ?? "EUR",
      landingUrlTemplate: "https://casino.example/welcome?cid={click_id}&s1={sub1}",
      fallbackUrl: null,
      allowedEvents: options.allowedEvents ?? [
        "registration",
        "ftd",
        "deposit",
        "bonus",
        "revenue",
        "qualified_trader",
        "trade",
        "challenge_purchase",
        "refund",
        "chargeback",
        "reversal",
      ],
      lookbackDays: 30,
      status: "active",
    },
    now,
  );
  const affiliate = await store.affiliates.create(
    { name: `Affiliate ${suffix}`, email: null, status: "active" },
    now,
  );
  const link = await store.links.create(
    {
      code: `l${suffix}`,
      affiliateId: affiliate.id,
      programId: program.id,
      status: "active",
      landingUrlTemplate: null,
    },
    now,
  );
  return { operator, program, affiliate, link, secret };
}
