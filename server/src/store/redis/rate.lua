-- One request against a shared rate limit (GCRA: the generic cell rate algorithm).
-- KEYS[1]: the limit's key for one client; ARGV[1]: requests per minute (> 0).
-- Up to ARGV[1] requests at once, then one every 60/ARGV[1] seconds: the same
-- as the in-memory token bucket. Time is Redis's own (TIME), so every instance
-- counts on one clock. Returns 0 when the request may go ahead, otherwise the
-- milliseconds until it may.
local per_min = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = 60000 / per_min
local burst = interval * per_min
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat + interval - burst - now
if wait > 0 then return math.ceil(wait) end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', math.ceil(new_tat)), 'PX', math.ceil(new_tat - now) + 1000)
return 0
