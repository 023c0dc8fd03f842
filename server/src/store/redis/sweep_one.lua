-- sweep of one share: KEYS rec, payload; ARGV now, tombstone_secs, retry_secs.
-- Returns {'forgotten'} or {'kept', files_due (0/1), next_due}.
local r = redis.call('HMGET', KEYS[1], 'st', 'exp', 'tk', 'ip', 'fp')
if not r[1] then return {'forgotten'} end
local st, exp, tk, ip, fp = r[1], tonumber(r[2]), r[3] or '', r[4] == '1', r[5] == '1'
local now, tomb, retry = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
-- `ShareRecord::forgettable`.
local forget_at = exp + tomb
if st == 'u' then forget_at = exp end
if not fp and not ip and now >= forget_at then
  redis.call('DEL', KEYS[1], KEYS[2])
  return {'forgotten'}
end
if bytes_due(st, exp, tk, now) then
  if ip then
    redis.call('HSET', KEYS[1], 'ip', '0')
    redis.call('DEL', KEYS[2])
  end
  if fp then
    -- The caller deletes the files and reports it; look again soon in case it cannot.
    return {'kept', 1, now + retry}
  end
  return {'kept', 0, forget_at}
end
local nxt = exp
if st == 'c' then
  local last = latest_live(tk, now)
  if last and last < nxt then nxt = last end
end
return {'kept', 0, nxt}
