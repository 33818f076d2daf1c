/** Row counts of every table of a service's database, read over a second connection. */
import { openDriver } from "../../src/adapters/storage/open-driver.ts";

/** Every table but the migrations' own bookkeeping, by name. */
export async function tableCounts(databaseUrl: string): Promise<Record<string, number>> {
  const driver = openDriver(databaseUrl);
  try {
    const names =
      driver.engine === "sqlite"
        ? await driver.all(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            [],
          )
        : await driver.all(
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            [],
          );
    const counts: Record<string, number> = {};
    for (const { name } of names) {
      const [row] = await driver.all(`SELECT COUNT(*) AS n FROM "${String(name)}"`, []);
      counts[String(name)] = Number(row?.["n"] ?? 0);
    }
    return counts;
  } finally {
    await driver.close();
  }
}
