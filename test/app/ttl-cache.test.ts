/** TtlCache: hits free within the TTL (a remembered nothing too), grouped misses loaded in one call, clear and expiry reload, bounded size. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { TtlCache } from "../../src/app/ttl-cache.ts";

interface Row {
  readonly group: number;
  readonly name: string;
}

const group = (row: Row) => row.group;

test("loads only the missing ids, in one call, and serves hits until they expire", async () => {
  let now = 1000;
  const cache = new TtlCache<number, readonly Row[]>({ now: () => now }, { ttlMs: 500, maxEntries: 100 });
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
  const first = await cache.getGroups([1, 2, 2, 3], group, load);
  assert.deepEqual(calls, [[1, 2, 3]], "duplicates asked once, all misses in one load");
  assert.deepEqual(
    first.get(1)?.map((r) => r.name),
    ["a1", "b1"],
  );
  assert.deepEqual(first.get(3), [], "an id with no rows is cached as empty");
  const second = await cache.getGroups([1, 3, 4], group, load);
  assert.deepEqual(calls[1], [4], "only the id not cached is loaded");
  assert.deepEqual(second.get(3), []);
  assert.equal((await cache.getGroups([1, 2, 3, 4], group, load)).size, 4);
  assert.equal(calls.length, 2, "all hits: no load");
  now += 501;
  await cache.getGroups([1], group, load);
  assert.deepEqual(calls[2], [1], "expired entries are loaded again");
  cache.clear();
  await cache.getGroups([2], group, load);
  assert.deepEqual(calls[3], [2], "invalidate drops every entry");
});

test("a full cache is emptied before new entries are added", async () => {
  const cache = new TtlCache<number, readonly Row[]>({ now: () => 0 }, { ttlMs: 1000, maxEntries: 2 });
  const calls: number[][] = [];
  const load = async (missing: number[]) => {
    calls.push(missing);
    return [];
  };
  await cache.getGroups([1, 2, 3], group, load);
  await cache.getGroups([4], group, load);
  await cache.getGroups([1], group, load);
  assert.deepEqual(calls, [[1, 2, 3], [4], [1]]);
});

test("get: a value, or a remembered nothing, is loaded once per TTL", async () => {
  let now = 0;
  const cache = new TtlCache<string, string | undefined>({ now: () => now }, { ttlMs: 100, maxEntries: 10 });
  const loads: string[] = [];
  const load = (key: string) => async () => {
    loads.push(key);
    return key === "none" ? undefined : key.toUpperCase();
  };
  assert.equal(await cache.get("a", load("a")), "A");
  assert.equal(await cache.get("none", load("none")), undefined);
  assert.equal(await cache.get("a", load("a")), "A");
  assert.equal(await cache.get("none", load("none")), undefined);
  assert.deepEqual(loads, ["a", "none"], "hits, including the unknown key, cost no load");
  now = 100;
  await cache.get("a", load("a"));
  assert.deepEqual(loads, ["a", "none", "a"], "expired at exactly the TTL");
});
