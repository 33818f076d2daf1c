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
  /**
   * The conversions with this txid at every operator, at most `limit`: one statement, a seek of
   * the unique key (operator_id, txid) per operator.
   */
  byTxidAtAnyOperator(txid: string, limit: number): Promise<ConversionRow[]>;
  /**
   * A player id's events at every operator, oldest first, at most `limit`: one statement, a range
   * of conversions_player (operator_id, player_id) per operator.
   */
  playerEventsAtAnyOperator(playerId: string, limit: number): Promise<ConversionRow[]>;
}
