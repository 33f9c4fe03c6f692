-- As screen.lua, with a pause before each request on a connection: about
-- connections * 1000 / DELAY_MS requests per second in all (wrk -c N).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer secret-admin-key"
local names = {"Amir Khan Muttaqi", "John Smith", "Abdul Ghani Baradar", "Maria Garcia", "Vladimir Putin", "Acme Trading Limited", "Mohammad Hassan Akhund", "Kevin Galindo"}
local i = 0
local pause = tonumber(os.getenv("DELAY_MS") or "10")
request = function()
  i = i + 1
  return wrk.format(nil, nil, nil, '{"name":"' .. names[(i % #names) + 1] .. '"}')
end
delay = function()
  return pause
end
