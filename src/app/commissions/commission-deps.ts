/** What the commission effect and its batch rules depend on, and the click time they read. */
import { verifyClickId } from "../../domain/click-id.ts";
import type { Clock, Ids } from "../ports.ts";
import type { PlanCache } from "./plan-cache.ts";

export interface CommissionDeps {
  readonly plans: PlanCache;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly clickSecrets: readonly Uint8Array[];
}

/** When the click behind a conversion was issued (from its self-verifying id), or null. */
export function clickTime(secrets: readonly Uint8Array[], clickId: string | null): number | null {
  if (!clickId) return null;
  const parts = verifyClickId(secrets, clickId);
  return parts.ok ? parts.value.issuedAtSeconds * 1000 : null;
}
