-- wrk script for comment creation. Each wrk thread is one writer with its own user; every
-- request posts a new comment to the article, a reply to a random seeded comment one time in
-- three. Environment: TOKENS (file of "user_id token" lines), PARENTS (file of comment ids),
-- SLUG (the article).
local tokens, parents = {}, {}
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
  for line in io.lines(os.getenv("PARENTS")) do
    parents[#parents + 1] = line
  end
  slug = os.getenv("SLUG")
  step = 0
  math.randomseed(index * 7919)
end

function request()
  step = step + 1
  local parent = "null"
  if step % 3 == 0 then
    parent = parents[math.random(#parents)]
  end
  local body = '{"body":"Bench comment ' .. index .. '-' .. step .. ', with **some** Markdown.","parent_id":' .. parent .. '}'
  return wrk.format("POST", "/api/v1/articles/" .. slug .. "/comments",
    { ["Authorization"] = "Bearer " .. tokens[index], ["Content-Type"] = "application/json" }, body)
end
