-- create: KEYS rec, payload; ARGV expire_at, has_payload, payload, field, value, ...
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('EXPIREAT', KEYS[1], ARGV[1])
if ARGV[2] == '1' then
  -- Redis drops an inline payload by itself a minute after the share's expiry.
  local exp = tonumber(redis.call('HGET', KEYS[1], 'exp'))
  redis.call('SET', KEYS[2], ARGV[3], 'EXAT', math.max(exp + 60, 1))
end
return 1
