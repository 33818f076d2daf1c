/** The reads behind a conversion's timeline and the console's search (conversion-timeline.ts), each an index look-up. */
import type { ClickRow, ConversionRow } from "../records.ts";

export interface TimelineReads {
  /** A click by its id (absent once pruned by retention). */
  click(clickId: string): Promise<ClickRow | undefined>;
  /** A player's events at an operator, oldest first, at most `limit` (its reversals included). */
  playerEvents(operatorId: number, playerId: string, limit: number): Promise<ConversionRow[]>;
  /** The events that reverse this conversion, oldest first. */
  reversalsOf(conversionId: string, operatorId: number): Promise<ConversionRow[]>;
  /** The conversions that carry this click id, oldest first, at most `limit` (conversions_click). */
  clickConversions(clickId: string, limit: number): Promise<ConversionRow[]>;
  /** An operator's conversion with this txid (its unique key). */
  byTxid(operatorId: number, txid: string): Promise<ConversionRow | undefined>;
}
