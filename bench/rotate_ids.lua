-- wrk script: GET /api/articles/{id}, cycling through the ids in $IDS_FILE.
local ids = {}
for line in io.lines(os.getenv("IDS_FILE")) do
  if #line > 0 then ids[#ids + 1] = line end
end
local i = math.random(#ids)
request = function()
  i = i % #ids + 1
  return wrk.format("GET", "/api/articles/" .. ids[i])
end
