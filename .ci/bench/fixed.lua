-- The baseline: the same request shape against the fixed-body server.
local n = 0
function request()
  n = n + 1
  return wrk.format("GET", "/schemas/ids/" .. (n % 1000 + 1))
end
