-- GET /schemas/ids/{id} over ids 1..1000, a different starting point per thread.
local n = 0
function setup(thread) thread:set("offset", math.random(1000)) end
function request()
  n = n + 1
  return wrk.format("GET", "/schemas/ids/" .. ((n + offset) % 1000 + 1))
end
