-- files_deleted: KEYS rec. Never creates a record that is gone.
if redis.call('HGET', KEYS[1], 'fp') == '1' then
  redis.call('HSET', KEYS[1], 'fp', '0')
end
return 1
