-- wrk script for the vote storm. Each wrk thread is one client with its own user(s); every
-- request votes +1, -1, 0, +1 … in turn on the hot comment or on a random comment.
-- Environment: TOKENS (file of "user_id token" lines), COMMENTS (file of comment ids),
-- THREADS (number of wrk threads), MODE ("hot" or "spread").
local tokens, comments = {}, {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("index", counter)
end

function init(args)
  for line in io.lines(os.getenv("TOKENS")) do
    local id, token = line:match("(%d+) (%S+)")
    tokens[#tokens + 1] = token
  end
  for line in io.lines(os.getenv("COMMENTS")) do
    comments[#comments + 1] = line
  end
  mode = os.getenv("MODE")
  threads = tonumber(os.getenv("THREADS"))
  step = 0
  math.randomseed(index * 7919)
end

local values = { "1", "-1", "0" }

function request()
  step = step + 1
  local token, comment
  if mode == "hot" then
    token = tokens[index]
    comment = comments[1]
  else
    -- This thread's share of the users, round robin; a random comment.
    local share = math.floor(#tokens / threads)
    token = tokens[(index - 1) * share + (step % share) + 1]
    comment = comments[math.random(#comments)]
  end
  local body = '{"value":' .. values[(step % 3) + 1] .. '}'
  return wrk.format("PUT", "/api/v1/comments/" .. comment .. "/vote",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end
