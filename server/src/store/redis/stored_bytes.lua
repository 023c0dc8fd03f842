-- Stored-bytes count: KEYS counter; ARGV delta (signed), limit ('' = none).
-- Adds a positive delta only if the count stays within the limit; never goes below zero.
-- The one key without a TTL: it lives exactly while bytes are stored.
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local delta = tonumber(ARGV[1])
if delta > 0 and ARGV[2] ~= '' and cur + delta > tonumber(ARGV[2]) then return 0 end
local new = cur + delta
if new <= 0 then
  -- Nothing stored: no key left behind.
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], string.format('%d', new))
end
return 1
