/** Postback parameters of live events for the reconciliation tests (API and console). */

/** An ftd attributed to click `cid`: txid, amount in EUR, player and occurred_at given. */
export const ftdOf =
  (cid: string) =>
  (id: string, amount: string, player: string, at: string): Array<[string, string]> => [
    ["event", "ftd"],
    ["txid", id],
    ["click_id", cid],
    ["player_id", player],
    ["amount", amount],
    ["currency", "EUR"],
    ["occurred_at", at],
  ];
