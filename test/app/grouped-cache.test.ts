/** GroupedCache: misses loaded in one call, hits free within the TTL, invalidate and expiry reload. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { GroupedCache } from "../../src/app/grouped-cache.ts";

interface Row {
  readonly group: number;
  readonly name: string;
}

test("loads only the missing ids, in one call, and serves hits until they expire", async () => {
  let now = 1000;
  const cache = new GroupedCache<Row>({ now: () => now }, (row) => row.group, 500, 100);
  const calls: number[][] = [];
  const load = async (missing: number[]) => {
    calls.push(missing);
    return missing.flatMap((id) =>
      id === 3
        ? []
        : [
            { group: id, name: `a${id}` },
            { group: id, name: `b${id}` },
          ],
    );
  };
  const first = await cache.of([1, 2, 2, 3], load);
  assert.deepEqual(calls, [[1, 2, 3]], "duplicates asked once, all misses in one load");
  assert.deepEqual(
    first.get(1)?.map((r) => r.name),
    ["a1", "b1"],
  );
  assert.deepEqual(first.get(3), [], "an id with no rows is cached as empty");
  const second = await cache.of([1, 3, 4], load);
  assert.deepEqual(calls[1], [4], "only the id not cached is loaded");
  assert.deepEqual(second.get(3), []);
  assert.equal((await cache.of([1, 2, 3, 4], load)).size, 4);
  assert.equal(calls.length, 2, "all hits: no load");
  now += 501;
  await cache.of([1], load);
  assert.deepEqual(calls[2], [1], "expired entries are loaded again");
  cache.invalidate();
  await cache.of([2], load);
  assert.deepEqual(calls[3], [2], "invalidate drops every entry");
});

test("a full cache is emptied before new entries are added", async () => {
  const cache = new GroupedCache<Row>({ now: () => 0 }, (row) => row.group, 1000, 2);
  const calls: number[][] = [];
  const load = async (missing: number[]) => {
    calls.push(missing);
    return [];
  };
  await cache.of([1, 2, 3], load);
  await cache.of([4], load);
  await cache.of([1], load);
  assert.deepEqual(calls, [[1, 2, 3], [4], [1]]);
});
