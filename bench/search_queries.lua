-- wrk script: GET /api/search with the queries in $QUERIES_FILE, in turn.
local queries = {}
for line in io.lines(os.getenv("QUERIES_FILE")) do
  if #line > 0 then queries[#queries + 1] = line:gsub(" ", "%%20") end
end
local i = math.random(#queries)
request = function()
  i = i % #queries + 1
  return wrk.format("GET", "/api/search?type=articles&limit=10&q=" .. queries[i])
end
