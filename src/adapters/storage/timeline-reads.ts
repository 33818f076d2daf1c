/** A conversion's timeline and the console's search over SQL (both engines, Kysely): `TimelineReads`. */
import type { Kysely } from "kysely";
import type { TimelineReads } from "../../app/admin/timeline-port.ts";
import type { Database } from "./database.ts";
import { firstOf, rowsOf } from "./query.ts";
import { clickFromRow, conversionFromRow } from "./record-rows.ts";
import type { SqlExecutor } from "./sql-driver.ts";

export function createTimelineReads(db: SqlExecutor, builder: Kysely<Database>): TimelineReads {
  /**
   * Conversions with `column` = `value`, oldest first, at most `limit`: at one operator, at every
   * operator in one statement (`any`: a seek or range per operator id where it leads the index),
   * or wherever they are (`unscoped`).
   */
  const oldestFirst = async (
    column: "player_id" | "txid" | "click_id",
    value: string,
    limit: number,
    operatorId: number | "any" | "unscoped",
  ) => {
    let query = builder.selectFrom("conversions").selectAll().where(column, "=", value);
    if (operatorId === "any")
      query = query.where("operator_id", "in", builder.selectFrom("operators").select("id"));
    else if (operatorId !== "unscoped") query = query.where("operator_id", "=", operatorId);
    return (await rowsOf(db, query.orderBy("occurred_at").orderBy("id").limit(limit))).map(conversionFromRow);
  };
  return {
    async click(clickId) {
      const row = await firstOf(db, builder.selectFrom("clicks").selectAll().where("click_id", "=", clickId));
      return row ? clickFromRow(row) : undefined;
    },
    // conversions_player (operator_id, player_id): one index range.
    playerEvents: (operatorId, playerId, limit) => oldestFirst("player_id", playerId, limit, operatorId),
    async reversalsOf(conversionId, operatorId) {
      const query = builder
        .selectFrom("conversions")
        .selectAll()
        .where("reverses_id", "=", conversionId)
        .where("operator_id", "=", operatorId)
        .orderBy("occurred_at")
        .orderBy("id");
      return (await rowsOf(db, query)).map(conversionFromRow);
    },
    // conversions_click (click_id), partial: one index range.
    clickConversions: (clickId, limit) => oldestFirst("click_id", clickId, limit, "unscoped"),
    async byTxid(operatorId, txid) {
      const row = await firstOf(
        db,
        builder
          .selectFrom("conversions")
          .selectAll()
          .where("operator_id", "=", operatorId)
          .where("txid", "=", txid),
      );
      return row ? conversionFromRow(row) : undefined;
    },
    // The operators' ids lead the unique key (operator_id, txid): one seek each, in one statement.
    byTxidAtAnyOperator: (txid, limit) => oldestFirst("txid", txid, limit, "any"),
    playerEventsAtAnyOperator: (playerId, limit) => oldestFirst("player_id", playerId, limit, "any"),
  };
}
