-- wrk script for the search benchmark: each request searches comments for one of these
-- queries (URL-encoded), chosen at random: single common words, two words, a phrase, an
-- exclusion, an `or`, and one filtered to an author.
local queries = {
  "summit", "tariffs", "Seoul", "tariffs%20deal", "%22supply%20chain%22", "chips%20-Tokyo",
  "yuan%20or%20won", "forecast%20evidence%20doubt", "alliance%20security%20talks",
  "signal&author=load_21_7",
}

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 1000)
end

function request()
  local q = queries[math.random(#queries)]
  return wrk.format("GET", "/api/v1/search?q=" .. q)
end
