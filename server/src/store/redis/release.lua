-- release: KEYS rec, payload; ARGV ticket_hash, now.
local r = redis.call('HMGET', KEYS[1], 'st', 'exp', 'tk', 'inl', 'ip', 'fp')
if not r[1] then return {'notfound'} end
local st, exp, now = r[1], tonumber(r[2]), tonumber(ARGV[2])
local gone = served_gone(st, exp, now)
if gone then return {'gone', gone} end
local tk = r[3] or ''
local off = live_ticket(tk, ARGV[1], now)
if not off then return {'badticket'} end
tk = string.sub(tk, 1, off + 31) .. '1' .. string.sub(tk, off + 33)
local changes = {'tk', tk}
local due = bytes_due(st, exp, tk, now)
local inline = r[4] == '1'
local delete_files = 0
if due and r[6] == '1' and not inline then delete_files = 1 end
if due and inline then
  changes[#changes + 1] = 'ip'
  changes[#changes + 1] = '0'
  redis.call('DEL', KEYS[2])
end
redis.call('HSET', KEYS[1], unpack(changes))
return {'released', delete_files}
