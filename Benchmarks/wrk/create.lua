-- wrk script: POST /v1/tasks with a distinct payload per request (create-only throughput).
-- wrk counts every non-2xx/3xx answer under "Non-2xx or 3xx responses"; scripts/bench treats any
-- such answer as a failed run.
--   wrk -t2 -c64 -d15s -s Benchmarks/wrk/create.lua http://127.0.0.1:8080
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.path = "/v1/tasks?principal_kind=agent&principal_id=bench-agent"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local body = string.format('{"type":"bench.wrk","payload":{"thread":%d,"n":%d}}', thread_id, counter)
  return wrk.format(nil, nil, nil, body)
end
