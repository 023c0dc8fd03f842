-- claim (protocol §5): KEYS rec[, index]; ARGV link_verifier, claim_verifier, request_id ('' = none),
-- ticket_hash, ticket_sealed, ticket_ttl_secs, now, max_failed_attempts, member.
-- With the sweep index as KEYS[2] (a single server, not a Cluster) a claim that consumes
-- the share moves its sweep time to the ticket's expiry in the same step; otherwise the
-- caller does it with its own command.
local r = redis.call('HMGET', KEYS[1], 'st', 'exp', 'left', 'fail', 'lv', 'cv', 'tk', 'rp', 'dl', 'meta', 'size')
if not r[1] then return {'notfound'} end
local st, exp, left, fail = r[1], tonumber(r[2]), tonumber(r[3]), tonumber(r[4])
local lv, cv, tk, rp, dl, meta, size = r[5], r[6], r[7] or '', r[8] or '', r[9] or '', r[10] or '', r[11]
local lv_in, cv_in, rid, th, ts = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local ttl, now, max_fail = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])

-- Replay: before step 1, only with the same tokens and while its ticket lives.
-- The latest claim with this request id is the one a retry repeats (`logic::claim`).
if rid ~= '' and lv == lv_in and cv == cv_in then
  local last = nil
  for off = 1, #rp, RP do
    if string.sub(rp, off, off + 15) == rid then last = off end
  end
  if last then
    local rth = string.sub(rp, last + 16, last + 47)
    local toff, texp = live_ticket(tk, rth, now)
    if toff then
      return {'granted', 1, rth, string.sub(rp, last + 48, last + 79), texp, meta, size,
              tonumber(string.sub(rp, last + 80, last + RP - 1))}
    end
  end
end
-- 1.
local gone = gone_reason(st, exp, now)
if gone then return {'gone', gone} end
if st == 'u' then return {'notready'} end
-- 2.
if lv ~= lv_in then return {'badlink'} end
-- 3.
if st == 'l' then return {'locked'} end
-- 4.
if cv ~= cv_in then
  fail = fail + 1
  if fail >= max_fail then
    redis.call('HSET', KEYS[1], 'fail', fail, 'st', 'l')
    return {'lockednow'}
  end
  redis.call('HSET', KEYS[1], 'fail', fail)
  return {'badpw', max_fail - fail}
end
-- 5.
if left > 0 then left = left - 1 end
local texp = now + ttl
local changes = {'left', left,
  'tk', tk .. th .. '0' .. i20(texp),
  'dl', dl .. i20(now)}
if left == 0 then
  changes[#changes + 1] = 'st'
  changes[#changes + 1] = 'c'
end
if rid ~= '' then
  changes[#changes + 1] = 'rp'
  changes[#changes + 1] = rp .. rid .. th .. ts .. string.format('%010d', left)
end
redis.call('HSET', KEYS[1], unpack(changes))
if left == 0 and KEYS[2] then redis.call('ZADD', KEYS[2], 'LT', texp, ARGV[9]) end
return {'granted', 0, th, ts, texp, meta, size, left}
