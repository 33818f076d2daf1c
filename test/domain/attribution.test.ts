import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  type AttributionResult,
  attribute,
  type ClickResolution,
  type Touch,
} from "../../src/domain/attribution.ts";

const CLICK: Touch = { clickId: "c-new", linkId: 2, affiliateId: 20, programId: 200 };
const BOUND: Touch = { clickId: "c-first", linkId: 1, affiliateId: 10, programId: 100 };
const touch: ClickResolution = { kind: "touch", touch: CLICK, clickedAt: 0 };
const none: ClickResolution = { kind: "none" };
const forged: ClickResolution = { kind: "invalid", reason: "click_id_invalid" };
const foreign: ClickResolution = { kind: "invalid", reason: "link_not_found" };

describe("attribute", () => {
  const rows: Array<[string, ClickResolution, string | undefined, Touch | undefined, AttributionResult]> = [
    ["click, no player", touch, undefined, undefined, { touch: CLICK, reason: null, bindPlayer: false }],
    [
      "click and a new player: binds",
      touch,
      "p",
      undefined,
      { touch: CLICK, reason: null, bindPlayer: true },
    ],
    ["player alone, bound", none, "p", BOUND, { touch: BOUND, reason: null, bindPlayer: false }],
    [
      "bound player with a new click: first touch wins",
      touch,
      "p",
      BOUND,
      { touch: BOUND, reason: null, bindPlayer: false },
    ],
    [
      "bound player with a forged click",
      forged,
      "p",
      BOUND,
      { touch: BOUND, reason: null, bindPlayer: false },
    ],
    ["nothing at all", none, undefined, undefined, { touch: null, reason: "no_click_id", bindPlayer: false }],
    [
      "player alone, unknown",
      none,
      "p",
      undefined,
      { touch: null, reason: "player_unknown", bindPlayer: false },
    ],
    [
      "forged click",
      forged,
      undefined,
      undefined,
      { touch: null, reason: "click_id_invalid", bindPlayer: false },
    ],
    [
      "forged click and a new player: no binding",
      forged,
      "p",
      undefined,
      { touch: null, reason: "click_id_invalid", bindPlayer: false },
    ],
    [
      "another operator's link",
      foreign,
      "p",
      undefined,
      { touch: null, reason: "link_not_found", bindPlayer: false },
    ],
  ];
  for (const [name, click, player, binding, expected] of rows) {
    test(name, () => assert.deepEqual(attribute(click, player, binding), expected));
  }

  test("property: attributed exactly when there is no reason; binding only with a click touch", () => {
    const clicks = fc.constantFrom<ClickResolution>(touch, none, forged, foreign);
    fc.assert(
      fc.property(
        clicks,
        fc.option(fc.string(), { nil: undefined }),
        fc.option(fc.constant(BOUND), { nil: undefined }),
        (click, player, binding) => {
          const result = attribute(click, player, binding);
          assert.equal(result.touch === null, result.reason !== null);
          if (result.bindPlayer)
            assert.ok(click.kind === "touch" && player !== undefined && binding === undefined);
          if (binding) assert.equal(result.touch, binding);
        },
      ),
    );
  });
});
