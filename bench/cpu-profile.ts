/**
 * Summarises a V8 .cpuprofile (node --cpu-prof) into where the time went: self and inclusive time
 * per function, and optionally per request when given the number of requests served.
 *
 *   node bench/cpu-profile.ts PROFILE.cpuprofile [--requests N] [--top 40] [--match text]
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: number[];
}

interface Profile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
  readonly startTime: number;
  readonly endTime: number;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    requests: { type: "string" },
    top: { type: "string", default: "40" },
    match: { type: "string" },
  },
});
const file = positionals[0];
if (!file) throw new Error("usage: node bench/cpu-profile.ts PROFILE.cpuprofile [--requests N] [--top 40]");
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

const keyOf = (node: ProfileNode): string => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${path.relative(process.cwd(), url.replace(/^file:\/\//, ""))}:${lineNumber + 1}` : "";
  return `${functionName || "(anonymous)"} ${where}`.trim();
};

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const delta = profile.timeDeltas[i] ?? 0;
  total += delta;
  let id: number | undefined = profile.samples[i]!;
  const leaf = keyOf(byId.get(id)!);
  self.set(leaf, (self.get(leaf) ?? 0) + delta);
  const seen = new Set<string>();
  while (id !== undefined) {
    const key = keyOf(byId.get(id)!);
    if (!seen.has(key)) {
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + delta);
    }
    id = parent.get(id);
  }
}

const requests = values.requests ? Number(values.requests) : undefined;
const top = Number(values.top);
const show = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  const rows = [...map.entries()]
    .filter(([key]) => !values.match || key.includes(values.match))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
  for (const [key, us] of rows) {
    const share = ((us / total) * 100).toFixed(1).padStart(5);
    const perRequest = requests ? `  ${(us / requests).toFixed(1).padStart(7)} µs/req` : "";
    console.log(`${share} %  ${(us / 1000).toFixed(0).padStart(7)} ms${perRequest}  ${key}`);
  }
};
console.log(
  `${file}: ${(total / 1e6).toFixed(2)} s sampled over ${((profile.endTime - profile.startTime) / 1e6).toFixed(2)} s` +
    (requests ? `, ${requests} requests: ${(total / requests).toFixed(1)} µs/request sampled` : ""),
);
show("Self time", self);
show("Inclusive time", inclusive);
