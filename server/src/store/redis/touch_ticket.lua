-- touch_ticket: KEYS rec; ARGV ticket_hash, now, ticket_ttl_secs, refund.
-- A download in progress keeps its live ticket alive and gives unsent bytes back.
local r = redis.call('HMGET', KEYS[1], 'st', 'exp', 'tk', 'tb')
if not r[1] then return 0 end
local now = tonumber(ARGV[2])
if served_gone(r[1], tonumber(r[2]), now) then return 0 end
local tk = r[3] or ''
local off, texp = live_ticket(tk, ARGV[1], now)
if not off then return 0 end
local changes = {}
local until_ = now + tonumber(ARGV[3])
if until_ > texp then
  changes[#changes + 1] = 'tk'
  changes[#changes + 1] = string.sub(tk, 1, off + 32) .. i20(until_) .. string.sub(tk, off + TK)
end
local refund = tonumber(ARGV[4])
if refund > 0 then
  local tb = r[4] or ''
  local index = (off - 1) / TK
  local left = ticket_bytes(tb, index) - refund
  if left < 0 then left = 0 end
  changes[#changes + 1] = 'tb'
  changes[#changes + 1] = set_ticket_bytes(tb, index, left)
end
if #changes > 0 then redis.call('HSET', KEYS[1], unpack(changes)) end
return 1
