-- Helpers prepended to every share script (server/src/store/redis.rs).
--
-- A share is one hash (KEYS[1]); its inline payload is a string (KEYS[2]).
-- Both carry the hash tag of the share id, so every script touches one slot
-- (on a single server, not a Cluster, create and claim also get the sweep index).
-- Fields: st (u uploading, r ready, c consumed, l locked, v revoked, d removed), size,
-- cat, exp, max, left, fail (decimal), lv, cv, mh, uh (32 raw bytes), meta,
-- kdf ("m,t,p"), inl, fp, ip ("1"/"0"), and three packed lists:
--   tk  tickets, 53 bytes each: hash(32) released("0"/"1") expires_at(%020d)
--   rp  replays, 90 bytes each: request_id(16) ticket_hash(32) sealed(32) downloads_left(%010d)
--   dl  download instants, %020d each
--   tb  bytes each ticket took from its budget, %020d each, in the order of tk
--       (shorter than tk when later tickets took nothing yet)
-- The transitions mirror `store::logic` exactly; the contract suite checks it.
local TK, RP = 53, 90

local function i20(x) return string.format('%020d', x) end

-- Offset and expiry of the ticket `h` if it lives at `now`.
local function live_ticket(tk, h, now)
  for off = 1, #tk, TK do
    if string.sub(tk, off, off + 31) == h and string.sub(tk, off + 32, off + 32) == '0' then
      local exp = tonumber(string.sub(tk, off + 33, off + TK - 1))
      if now < exp then return off, exp end
    end
  end
  return nil
end

-- Bytes the ticket at `index` (0-based, in tk order) took from its budget.
local function ticket_bytes(tb, index)
  local at = index * 20 + 1
  if at + 19 > #tb then return 0 end
  return tonumber(string.sub(tb, at, at + 19))
end

-- tb with the ticket at `index` set to `n` bytes (padding earlier ones with zeros).
local function set_ticket_bytes(tb, index, n)
  while #tb < index * 20 do tb = tb .. i20(0) end
  return string.sub(tb, 1, index * 20) .. i20(n) .. string.sub(tb, index * 20 + 21)
end

-- The latest expiry among tickets alive at `now`, or nil.
local function latest_live(tk, now)
  local best = nil
  for off = 1, #tk, TK do
    if string.sub(tk, off + 32, off + 32) == '0' then
      local exp = tonumber(string.sub(tk, off + 33, off + TK - 1))
      if now < exp and (best == nil or exp > best) then best = exp end
    end
  end
  return best
end

-- `ShareRecord::gone_reason`.
local function gone_reason(st, exp, now)
  if st == 'c' then return 'consumed' end
  if st == 'v' then return 'revoked' end
  if st == 'd' then return 'removed' end
  if now >= exp then return 'expired' end
  return nil
end

-- Why ticket holders can no longer be served (`logic::served_gone`).
local function served_gone(st, exp, now)
  if st == 'v' then return 'revoked' end
  if st == 'd' then return 'removed' end
  if now >= exp then return 'expired' end
  return nil
end

-- `ShareRecord::bytes_due_for_deletion`.
local function bytes_due(st, exp, tk, now)
  if now >= exp or st == 'v' or st == 'd' then return true end
  if st == 'c' then return latest_live(tk, now) == nil end
  return false
end
