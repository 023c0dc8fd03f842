-- create: KEYS rec, payload; ARGV record_expire_at, payload_expire_at ('' = no payload), payload, field, value, ...
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('EXPIREAT', KEYS[1], ARGV[1])
if ARGV[2] ~= '' then
  redis.call('SET', KEYS[2], ARGV[3], 'EXAT', ARGV[2])
end
return 1
