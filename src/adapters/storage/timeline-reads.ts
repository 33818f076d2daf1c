/** A conversion's timeline and the console's search over SQL (both engines, Kysely): `TimelineReads`. */
import type { Kysely } from "kysely";
import type { TimelineReads } from "../../app/admin/timeline-port.ts";
import type { Database } from "./database.ts";
import { firstOf, rowsOf } from "./query.ts";
import { clickFromRow, conversionFromRow } from "./record-rows.ts";
import type { SqlExecutor } from "./sql-driver.ts";

export function createTimelineReads(db: SqlExecutor, builder: Kysely<Database>): TimelineReads {
  const everyOperator = () => builder.selectFrom("operators").select("id");
  return {
    async click(clickId) {
      const row = await firstOf(db, builder.selectFrom("clicks").selectAll().where("click_id", "=", clickId));
      return row ? clickFromRow(row) : undefined;
    },
    async playerEvents(operatorId, playerId, limit) {
      // conversions_player (operator_id, player_id): one index range.
      const query = builder
        .selectFrom("conversions")
        .selectAll()
        .where("operator_id", "=", operatorId)
        .where("player_id", "=", playerId)
        .orderBy("occurred_at")
        .orderBy("id")
        .limit(limit);
      return (await rowsOf(db, query)).map(conversionFromRow);
    },
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
    async clickConversions(clickId, limit) {
      // conversions_click (click_id), partial: one index range.
      const query = builder
        .selectFrom("conversions")
        .selectAll()
        .where("click_id", "=", clickId)
        .orderBy("occurred_at")
        .orderBy("id")
        .limit(limit);
      return (await rowsOf(db, query)).map(conversionFromRow);
    },
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
    async byTxidAtAnyOperator(txid, limit) {
      // The operators' ids lead the unique key (operator_id, txid): one seek each, in one statement.
      const query = builder
        .selectFrom("conversions")
        .selectAll()
        .where("operator_id", "in", everyOperator())
        .where("txid", "=", txid)
        .orderBy("occurred_at")
        .orderBy("id")
        .limit(limit);
      return (await rowsOf(db, query)).map(conversionFromRow);
    },
    async playerEventsAtAnyOperator(playerId, limit) {
      const query = builder
        .selectFrom("conversions")
        .selectAll()
        .where("operator_id", "in", everyOperator())
        .where("player_id", "=", playerId)
        .orderBy("occurred_at")
        .orderBy("id")
        .limit(limit);
      return (await rowsOf(db, query)).map(conversionFromRow);
    },
  };
}
