-- wrk script: POST Segment batches of 100 distinct messages (~40 KB) to /v1/batch.
-- Every request carries new messageIds, so the server really stores each one, and
-- device timestamps near "now", as live clients send them.
-- Env: WRITE_KEY, BATCH (messages per request, default 100), DELAY_MS (pause per request).
local key = os.getenv("WRITE_KEY") or "bench"
local batch = tonumber(os.getenv("BATCH") or "100")
local delay_ms = tonumber(os.getenv("DELAY_MS") or "0")
local counter = 0
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function init(args)
  math.randomseed(os.time() + (tid or 0) * 7919)
  prefix = string.format("%d-%d-", tid or 0, math.random(1, 1e9))
  pad = string.rep("x", 240)
end

local function message(i)
  counter = counter + 1
  return string.format(
    '{"type":"track","event":"Content Engaged","messageId":"%s%d","anonymousId":"anon-%d",' ..
    '"timestamp":"%s.%03dZ","properties":{"asset_id":"wp-%d",' ..
    '"read_depth":%d,"active_seconds":%d,"sections_reached":[1,2,3],"title":"%s"},' ..
    '"context":{"library":{"name":"wrk","version":"1"},"page":{"url":"https://example.com/wp/%d"}}}',
    prefix, counter, counter % 5000, os.date("!%Y-%m-%dT%H:%M:%S"), counter % 1000, i,
    counter % 100,
    counter % 300, pad, i)
end

function request()
  local items = {}
  for i = 1, batch do items[i] = message(i) end
  local body = '{"writeKey":"' .. key .. '","sentAt":"2026-11-25T10:01:00.000Z","batch":[' ..
    table.concat(items, ",") .. ']}'
  return wrk.format("POST", "/v1/batch", {["Content-Type"] = "application/json"}, body)
end

function delay()
  return delay_ms
end

function done(summary, latency, requests)
  io.write(string.format("JSON {\"requests\":%d,\"seconds\":%.3f,\"p50_ms\":%.2f,\"p99_ms\":%.2f," ..
    "\"errors\":%d,\"non2xx\":%d}\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(99) / 1e3,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
