-- wrk script for bench/api_bench.py, bench/audit_bench.py and bench/web_bench.py. One request shape per mode:
--   wrk ... -s bench/api_wrk.lua URL -- MODE TOKEN UPPER [IDS_FILE] [SEED]
-- hello:      GET /                                    (the Flask hello-world)
-- detail:     GET /api/v1/agreements/{random 1..UPPER}
-- list:       GET /api/v1/agreements?state=active&page={random 1..UPPER}
-- transition: POST /api/v1/agreements/{next id of IDS_FILE}/transitions (submit)
-- proof:      GET /api/v1/audit/events/{random 1..UPPER}/proof
-- dashboard:  GET /                                    TOKEN: a web session cookie
-- workspace:  GET /agreements/{random 1..UPPER}        TOKEN: a web session cookie
-- done() prints one line "BENCH_JSON {...}" with the latency percentiles.

local mode, upper, ids, cursor = "hello", 1, {}, 0
local headers = {}

function init(args)
  mode, upper = args[1], tonumber(args[3])
  -- hello-world gets the same header, so both servers read the same bytes.
  if mode == "dashboard" or mode == "workspace" then
    headers["Cookie"] = "session=" .. args[2]  -- the web pages (bench/web_bench.py)
  else
    headers["Authorization"] = "Bearer " .. args[2]
  end
  if mode == "transition" then
    headers["Content-Type"] = "application/json"
    for line in io.lines(args[4]) do ids[#ids + 1] = line end
  end
  math.randomseed(tonumber(args[5] or "1"))
end

function request()
  if mode == "detail" then
    return wrk.format("GET", "/api/v1/agreements/" .. math.random(upper), headers)
  elseif mode == "workspace" then
    return wrk.format("GET", "/agreements/" .. math.random(upper), headers)
  elseif mode == "proof" then
    return wrk.format("GET", "/api/v1/audit/events/" .. math.random(upper) .. "/proof", headers)
  elseif mode == "list" then
    local path = "/api/v1/agreements?state=active&page=" .. math.random(upper)
    return wrk.format("GET", path, headers)
  elseif mode == "transition" then
    -- Each draft is submitted once; running out wraps around and shows up as 409s.
    cursor = cursor % #ids + 1
    local path = "/api/v1/agreements/" .. ids[cursor] .. "/transitions"
    return wrk.format("POST", path, headers, '{"trigger": "submit", "comment": "bench"}')
  end
  return wrk.format("GET", "/", headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, '
      .. '"p99_us": %d, "max_us": %d, "errors_status": %d, "errors_socket": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.status, e.connect + e.read + e.write + e.timeout))
end
