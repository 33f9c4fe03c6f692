-- wrk script: POST /v1/screen with 8 names in turn (BENCHMARKS.md section 4).
-- wrk -t2 -c64 -d15s --latency -s screen.lua http://127.0.0.1:18080/v1/screen
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer secret-admin-key"
local names = {"Amir Khan Muttaqi", "John Smith", "Abdul Ghani Baradar", "Maria Garcia", "Vladimir Putin", "Acme Trading Limited", "Mohammad Hassan Akhund", "Kevin Galindo"}
local i = 0
request = function()
  i = i + 1
  return wrk.format(nil, nil, nil, '{"name":"' .. names[(i % #names) + 1] .. '"}')
end
