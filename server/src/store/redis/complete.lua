-- complete: KEYS rec; ARGV upload_token_hash, now.
local r = redis.call('HMGET', KEYS[1], 'st', 'exp', 'uh')
if not r[1] then return {'notfound'} end
local gone = gone_reason(r[1], tonumber(r[2]), tonumber(ARGV[2]))
if gone then return {'gone', gone} end
if r[1] ~= 'u' or r[3] ~= ARGV[1] then return {'badtoken'} end
redis.call('HSET', KEYS[1], 'st', 'r')
redis.call('HDEL', KEYS[1], 'uh')
return {'completed'}
