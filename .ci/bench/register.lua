-- POST /subjects/reg-{k}/versions: every request a new version that adds an
-- optional field with a default, so each passes BACKWARD against the latest.
-- init(args): args[1] is a nonce that keeps reruns from repeating schemas;
-- args[2] the number of subjects to spread over.
local n, nonce, subjects, tid = 0, "0", 16, 0
local counter = 0
function setup(thread) counter = counter + 1; thread:set("tid", counter) end
function init(args) nonce = args[1] or "0"; subjects = tonumber(args[2] or "16") end
function request()
  n = n + 1
  local field = "f_" .. nonce .. "_" .. tid .. "_" .. n
  local body = '{"schema":"{\\"type\\":\\"record\\",\\"name\\":\\"Reg\\",\\"fields\\":[{\\"name\\":\\"' .. field ..
    '\\",\\"type\\":[\\"null\\",\\"long\\"],\\"default\\":null}]}"}'
  return wrk.format("POST", "/subjects/reg-" .. (n % subjects) .. "/versions",
    {["Content-Type"] = "application/vnd.schemaregistry.v1+json"}, body)
end
