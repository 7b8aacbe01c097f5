-- wrk script: POST site_users with an external_id unique per thread, per request and per run.
-- Arguments (after `--`): token, website id, run prefix.
local token, website, prefix
local counter = 0
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

function init(args)
  token, website, prefix = args[1], args[2], args[3]
end

function request()
  counter = counter + 1
  local body = string.format('{"external_id":"%s-%d-%d","name":"bench","email":"bench@example.com"}', prefix, tid, counter)
  return wrk.format("POST", "/open-apis/hire/v1/websites/" .. website .. "/site_users",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json; charset=utf-8"}, body)
end

-- The tail beyond wrk's own --latency lines (50, 75, 90, 99 %), in microseconds.
function done(summary, latency, requests)
  io.write(string.format("p99.9: %dus\n", latency:percentile(99.9)))
end
