-- Wrong console passwords from one address (the console's lockout, shared by every instance).
-- KEYS[1]: the address's hash; ARGV: step ('check' | 'wrong' | 'success'), now (Unix s),
-- wrong passwords before the lockout, lockout seconds (also how long a wrong one counts).
-- Returns {seconds still locked out (0: not), wrong passwords left before the lockout}.
local step, now = ARGV[1], tonumber(ARGV[2])
local max, secs = tonumber(ARGV[3]), tonumber(ARGV[4])
if step == 'success' then
  redis.call('DEL', KEYS[1])
  return {0, max}
end
local r = redis.call('HMGET', KEYS[1], 'wrong', 'since', 'until')
local wrong, since, untl = tonumber(r[1] or '0'), tonumber(r[2] or '0'), tonumber(r[3] or '0')
if untl > now then return {untl - now, 0} end
if untl > 0 or wrong == 0 or now - since >= secs then wrong, since, untl = 0, now, 0 end
if step == 'check' then return {0, max - wrong} end
wrong = wrong + 1
if wrong >= max then untl = now + secs end
redis.call('HSET', KEYS[1], 'wrong', wrong, 'since', since, 'until', untl)
redis.call('EXPIRE', KEYS[1], secs * 2)
if untl > now then return {untl - now, 0} end
return {0, max - wrong}
