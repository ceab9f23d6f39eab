-- wrk script: GET each path of $URLS_FILE in turn, from a random start.
local urls = {}
for line in io.lines(os.getenv("URLS_FILE")) do
  if #line > 0 then urls[#urls + 1] = line end
end
local i = math.random(#urls)
request = function()
  i = i % #urls + 1
  return wrk.format("GET", urls[i])
end
