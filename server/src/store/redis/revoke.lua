-- revoke: KEYS rec, payload; ARGV manage_token_hash, now.
local r = redis.call('HMGET', KEYS[1], 'mh', 'fp', 'tk', 'st')
if not r[1] then return {'notfound'} end
if r[1] ~= ARGV[1] then return {'badtoken'} end
-- Taken down by the operator: it stays removed.
if r[4] == 'd' then return {'revoked', r[2] == '1' and 1 or 0} end
local tk = r[3] or ''
local parts = {}
for off = 1, #tk, TK do
  parts[#parts + 1] = string.sub(tk, off, off + 31) .. '1' .. string.sub(tk, off + 33, off + TK - 1)
end
redis.call('HSET', KEYS[1], 'st', 'v', 'tk', table.concat(parts), 'ip', '0')
redis.call('HDEL', KEYS[1], 'uh')
redis.call('DEL', KEYS[2])
if r[2] == '1' then return {'revoked', 1} end
return {'revoked', 0}
