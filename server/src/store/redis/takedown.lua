-- takedown (protocol 1.1): KEYS rec, payload.
-- Returns {'notfound'} or {'removed', files_present (0/1), already (0/1)}.
local r = redis.call('HMGET', KEYS[1], 'st', 'fp', 'tk')
if not r[1] then return {'notfound'} end
local fp = 0
if r[2] == '1' then fp = 1 end
if r[1] == 'd' then return {'removed', fp, 1} end
-- As a revoke: every ticket dies, the upload token and an inline payload go now.
local tk = r[3] or ''
local parts = {}
for off = 1, #tk, TK do
  parts[#parts + 1] = string.sub(tk, off, off + 31) .. '1' .. string.sub(tk, off + 33, off + TK - 1)
end
redis.call('HSET', KEYS[1], 'st', 'd', 'tk', table.concat(parts), 'ip', '0')
redis.call('HDEL', KEYS[1], 'uh')
redis.call('DEL', KEYS[2])
return {'removed', fp, 0}
