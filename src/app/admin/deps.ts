/** What the admin use cases depend on: the store, the hot-path cache to invalidate, time and ids. */
import type { Catalog } from "../catalog.ts";
import type { Clock, Ids, Store } from "../ports.ts";

export interface AdminDeps {
  readonly store: Store;
  /** Every admin write calls `catalog.invalidate()` so postbacks and clicks see it at once. */
  readonly catalog: Catalog;
  readonly clock: Clock;
  readonly ids: Ids;
  /** Base URL of this service as the outside world reaches it (tracking and postback URLs). */
  readonly publicUrl: string;
}

/** A page of an id-ordered list (keyset pagination). */
export interface Page {
  readonly limit?: number;
  readonly after?: number;
}
