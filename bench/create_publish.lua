-- Create + publish through the admin API: each connection creates an
-- article, then publishes what was created; entries/s is publishes/s.
-- TOKEN (env) is an admin bearer token.
local token = os.getenv("TOKEN")
local body_text = string.rep("Static sites pull published content at build time. ", 20)
local counter, pending = 0, {}

-- Numbers the threads so their titles (and slugs) differ: setup runs in
-- wrk's main state, and `thread:set` makes `thread_id` a global of the
-- thread's own state (a local of the same name would hide it).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function init(args)
  wrk.headers["authorization"] = "Bearer " .. token
  wrk.headers["content-type"] = "application/json"
end

function request()
  local id = table.remove(pending)
  if id then
    return wrk.format("POST", "/admin/api/entries/articles/" .. id .. "/publish", nil, "")
  end
  counter = counter + 1
  local title = "Bench article " .. thread_id .. "-" .. counter
  local body = '{"data":{"title":"' .. title .. '","summary":"A summary of ' .. title ..
    '.","body":"' .. body_text .. '","category":"news","reading_minutes":4}}'
  return wrk.format("POST", "/admin/api/entries/articles", nil, body)
end

function response(status, headers, body)
  if status == 201 then
    local id = body:match('"id":"([^"]+)"')
    if id then table.insert(pending, id) end
  end
end
