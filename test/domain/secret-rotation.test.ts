import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  DEFAULT_GRACE_HOURS,
  liveSecrets,
  MAX_GRACE_HOURS,
  rotateSecrets,
  type SigningSecrets,
  signingSecretsAt,
} from "../../src/domain/secret-rotation.ts";

const NOW = Date.UTC(2026, 2, 1);
const H = 3_600_000;
const fresh: SigningSecrets = { secret: "whsec_A", previousSecret: null, previousSecretExpiresAt: null };

describe("rotateSecrets", () => {
  test("defaults: 24 hours, at most a week", () => {
    assert.equal(DEFAULT_GRACE_HOURS, 24);
    assert.equal(MAX_GRACE_HOURS, 168);
  });

  const table: Array<[name: string, current: SigningSecrets, graceHours: number, expected: SigningSecrets]> =
    [
      [
        "the current secret signs on for the grace period",
        fresh,
        24,
        { secret: "whsec_B", previousSecret: "whsec_A", previousSecretExpiresAt: NOW + 24 * H },
      ],
      [
        "the longest grace period",
        fresh,
        168,
        { secret: "whsec_B", previousSecret: "whsec_A", previousSecretExpiresAt: NOW + 168 * H },
      ],
      [
        "0: the current secret stops at once",
        fresh,
        0,
        { secret: "whsec_B", previousSecret: null, previousSecretExpiresAt: null },
      ],
      [
        "during a grace period: the secret on its way out is dropped, the current one replaces it",
        { secret: "whsec_A", previousSecret: "whsec_Z", previousSecretExpiresAt: NOW + H },
        2,
        { secret: "whsec_B", previousSecret: "whsec_A", previousSecretExpiresAt: NOW + 2 * H },
      ],
      [
        "during a grace period with 0: only the new secret is left",
        { secret: "whsec_A", previousSecret: "whsec_Z", previousSecretExpiresAt: NOW + H },
        0,
        { secret: "whsec_B", previousSecret: null, previousSecretExpiresAt: null },
      ],
    ];
  for (const [name, current, graceHours, expected] of table) {
    test(name, () => {
      assert.deepEqual(rotateSecrets(current, "whsec_B", graceHours, NOW), { ok: true, value: expected });
    });
  }

  for (const graceHours of [-1, 169, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    test(`grace_hours ${graceHours} is refused`, () => {
      const result = rotateSecrets(fresh, "whsec_B", graceHours, NOW);
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.equal(result.error.code, "invalid_field");
        assert.equal(result.error.field, "grace_hours");
      }
    });
  }
});

describe("signingSecretsAt", () => {
  const rotating: SigningSecrets = {
    secret: "whsec_B",
    previousSecret: "whsec_A",
    previousSecretExpiresAt: NOW,
  };
  const table: Array<[name: string, secrets: SigningSecrets, at: number, expected: string[]]> = [
    ["never rotated: the secret alone", fresh, NOW, ["whsec_A"]],
    ["during the grace period: new first, then old", rotating, NOW - 1, ["whsec_B", "whsec_A"]],
    ["exactly at the expiry: the new one alone", rotating, NOW, ["whsec_B"]],
    ["after it: the new one alone", rotating, NOW + H, ["whsec_B"]],
    [
      "an expiry without a previous secret is ignored",
      { ...fresh, previousSecretExpiresAt: NOW + H },
      NOW,
      ["whsec_A"],
    ],
    [
      "a previous secret without an expiry never signs",
      { ...rotating, previousSecretExpiresAt: null },
      0,
      ["whsec_B"],
    ],
  ];
  for (const [name, secrets, at, expected] of table) {
    test(name, () => assert.deepEqual(signingSecretsAt(secrets, at), expected));
  }

  test("after any rotation the new secret always signs, the old one exactly until the grace ends", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_GRACE_HOURS }),
        fc.integer({ min: 0, max: (MAX_GRACE_HOURS + 2) * H }),
        (graceHours, offset) => {
          const rotated = rotateSecrets(fresh, "whsec_B", graceHours, NOW);
          assert.ok(rotated.ok);
          const signing = signingSecretsAt(rotated.value, NOW + offset);
          assert.equal(signing[0], "whsec_B");
          assert.equal(signing.includes("whsec_A"), offset < graceHours * H);
          assert.ok(signing.length <= 2);
        },
      ),
    );
  });
});

describe("liveSecrets", () => {
  const rotating = { secret: "whsec_B", previousSecret: "whsec_A", previousSecretExpiresAt: NOW, id: 7 };
  const none = { secret: "whsec_B", previousSecret: null, previousSecretExpiresAt: null, id: 7 };
  const table: Array<[name: string, secrets: SigningSecrets & { id: number }, at: number, expected: object]> =
    [
      ["during the grace period: kept", rotating, NOW - 1, rotating],
      ["exactly at the expiry: dropped with it", rotating, NOW, none],
      ["after it: dropped", rotating, NOW + H, none],
      ["never rotated: unchanged", none, NOW, none],
      [
        "an expiry without a previous secret: dropped",
        { ...none, previousSecretExpiresAt: NOW + H },
        NOW,
        none,
      ],
      [
        "a previous secret without an expiry: dropped",
        { ...rotating, previousSecretExpiresAt: null },
        0,
        none,
      ],
    ];
  for (const [name, secrets, at, expected] of table) {
    test(name, () => assert.deepEqual(liveSecrets(secrets, at), expected));
  }

  test("what it keeps is exactly what signs", () => {
    fc.assert(
      fc.property(fc.integer({ min: NOW - 2 * H, max: NOW + 2 * H }), (at) => {
        const live = liveSecrets(rotating, at);
        assert.deepEqual(signingSecretsAt(live, at), signingSecretsAt(rotating, at));
        assert.equal(live.previousSecret !== null, signingSecretsAt(rotating, at).length === 2);
      }),
    );
  });
});
