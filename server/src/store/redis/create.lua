-- create: KEYS rec, payload[, index]; ARGV record_expire_at, payload_expire_at ('' = no payload),
-- payload, sweep_at, member, field, value, ...
-- With the sweep index as KEYS[3] (a single server, not a Cluster) the share's sweep
-- time is added in the same step; otherwise the caller adds it with its own command.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local fields = {}
for i = 6, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('EXPIREAT', KEYS[1], ARGV[1])
if ARGV[2] ~= '' then
  redis.call('SET', KEYS[2], ARGV[3], 'EXAT', ARGV[2])
end
if KEYS[3] then redis.call('ZADD', KEYS[3], 'LT', ARGV[4], ARGV[5]) end
return 1
