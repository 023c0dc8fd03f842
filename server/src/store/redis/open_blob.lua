-- open_blob: KEYS rec, payload; ARGV ticket_hash, now, ticket_ttl_secs, bytes (-1: the share's size), budget_factor.
local r = redis.call('HMGET', KEYS[1], 'st', 'exp', 'tk', 'inl', 'ip', 'fp', 'size', 'tb')
if not r[1] then return {'notfound'} end
local now = tonumber(ARGV[2])
local gone = served_gone(r[1], tonumber(r[2]), now)
if gone then return {'gone', gone} end
local tk = r[3] or ''
local off = live_ticket(tk, ARGV[1], now)
if not off then return {'badticket'} end
local inline = r[4] == '1'
if (inline and r[5] ~= '1') or (not inline and r[6] ~= '1') then return {'badticket'} end
local payload = nil
if inline then
  payload = redis.call('GET', KEYS[2])
  if not payload then return {'badticket'} end
end
-- The ticket's byte budget (`ticket_budget`): refused whole, never taken in part.
local tb = r[8] or ''
local index = (off - 1) / TK
local want = tonumber(ARGV[4])
if want < 0 then want = tonumber(r[7]) end
local taken = ticket_bytes(tb, index) + want
if taken > tonumber(r[7]) * tonumber(ARGV[5]) then return {'exhausted'} end
local ntk = string.sub(tk, 1, off + 32) .. i20(now + tonumber(ARGV[3])) .. string.sub(tk, off + TK)
redis.call('HSET', KEYS[1], 'tk', ntk, 'tb', set_ticket_bytes(tb, index, taken))
if inline then return {'inline', payload} end
return {'files', r[7]}
