-- POST /subjects/bench-{i}: look a schema up by content (schema i of subject bench-i).
local n = 0
function setup(thread) thread:set("offset", math.random(1000)) end
function request()
  n = n + 1
  local i = (n + offset) % 1000
  local body = '{"schema":"{\\"type\\":\\"record\\",\\"name\\":\\"R' .. i ..
    '\\",\\"namespace\\":\\"bench\\",\\"fields\\":[{\\"name\\":\\"id\\",\\"type\\":\\"string\\"},{\\"name\\":\\"n\\",\\"type\\":\\"long\\"}]}"}'
  return wrk.format("POST", "/subjects/bench-" .. i, {["Content-Type"] = "application/vnd.schemaregistry.v1+json"}, body)
end
