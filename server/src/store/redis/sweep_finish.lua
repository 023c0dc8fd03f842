-- Sweep index: KEYS index; ARGV member, lease_until, next ('' = remove).
-- Only if the member still carries our lease: a share operation that moved it
-- earlier meanwhile (a claim that consumed it, a deletion to retry) wins.
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if s and tonumber(s) == tonumber(ARGV[2]) then
  if ARGV[3] == '' then
    redis.call('ZREM', KEYS[1], ARGV[1])
  else
    redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
  end
  return 1
end
return 0
