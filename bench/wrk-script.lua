-- wrk script for bench/run.ts: cycles through a file of request paths (one per line) and counts the
-- answers. Arguments (after `--`): <paths file> <expected status> <mode: plain | postback>.
-- Run with -t1 (one thread, one Lua state): the counters below are that thread's globals, read back
-- in done() with thread:get. The last line printed is one JSON object for the runner.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

-- Per-thread globals (thread:get reads globals only).
requests = {}
count = 0
index = 0
sent = 0
wrapped = 0
expected_status = 200
mode = "plain"
ok = 0
unexpected = 0
accepted = 0
attributed = 0
last_bad_status = 0

function init(args)
  expected_status = tonumber(args[2])
  mode = args[3] or "plain"
  for line in io.lines(args[1]) do
    if #line > 0 then
      count = count + 1
      requests[count] = wrk.format("GET", line)
    end
  end
  if count == 0 then
    error("no request paths in " .. tostring(args[1]))
  end
end

function request()
  index = index + 1
  sent = sent + 1
  if index > count then
    -- Out of fresh paths: repeats would be duplicates, so the runner marks the run invalid.
    index = 1
    wrapped = wrapped + 1
  end
  return requests[index]
end

function response(status, headers, body)
  if status == expected_status then
    ok = ok + 1
  else
    unexpected = unexpected + 1
    last_bad_status = status
  end
  if mode == "postback" and status == 200 and body then
    if string.find(body, '"code":"accepted"', 1, true) then
      accepted = accepted + 1
    end
    if string.find(body, '"attributed":true', 1, true) then
      attributed = attributed + 1
    end
  end
end

function done(summary, latency, _)
  local t = threads[1]
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d},' ..
    '"sent":%d,"paths":%d,"wrapped":%d,"ok":%d,"unexpected":%d,"last_bad_status":%d,' ..
    '"accepted":%d,"attributed":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.timeout, e.status,
    t:get("sent"), t:get("count"), t:get("wrapped"), t:get("ok"), t:get("unexpected"),
    t:get("last_bad_status"), t:get("accepted"), t:get("attributed")))
end
