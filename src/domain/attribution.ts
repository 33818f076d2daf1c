/**
 * Attribution (DESIGN §3): click_id → click → link → affiliate/program; the first event carrying both
 * a click and a player_id binds the player; later events by player_id alone follow that binding.
 * A binding, once made, wins over a different click on a later event (first touch).
 */
export interface Touch {
  readonly clickId: string | null;
  readonly linkId: number;
  readonly affiliateId: number;
  readonly programId: number;
}

export const UNATTRIBUTED = ["no_click_id", "click_id_invalid", "link_not_found", "player_unknown"] as const;
export type Unattributed = (typeof UNATTRIBUTED)[number];

export type ClickResolution =
  /** `clickedAt`: when the click was issued (epoch ms, from its verified id). */
  | { readonly kind: "touch"; readonly touch: Touch; readonly clickedAt: number }
  | { readonly kind: "none" }
  | { readonly kind: "invalid"; readonly reason: "click_id_invalid" | "link_not_found" };

export interface AttributionResult {
  readonly touch: Touch | null;
  readonly reason: Unattributed | null;
  /** The player should be bound to `touch` (first event with both a click and a player). */
  readonly bindPlayer: boolean;
}

export function attribute(
  click: ClickResolution,
  playerId: string | undefined,
  binding: Touch | undefined,
): AttributionResult {
  if (binding) return { touch: binding, reason: null, bindPlayer: false };
  if (click.kind === "touch") return { touch: click.touch, reason: null, bindPlayer: playerId !== undefined };
  if (click.kind === "invalid") return { touch: null, reason: click.reason, bindPlayer: false };
  return {
    touch: null,
    reason: playerId === undefined ? "no_click_id" : "player_unknown",
    bindPlayer: false,
  };
}
