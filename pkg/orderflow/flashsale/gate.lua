-- Flash-sale gate: one atomic step per buy request (Redis runs a script without interleaving).
-- KEYS[1] stock, KEYS[2] sold-out flag, KEYS[3] buyers set, KEYS[4] request-id hash
-- ARGV[1] user id, ARGV[2] request id
-- Returns {code, detail}: 0 sold out, 1 won (detail = stock left), 2 replay of a won request
-- (detail = its user), 3 buyer already won, 4 no such sale (stock not preloaded).
-- A replay of a won request id is answered first (it reads only the request hash), so the
-- winner of the last unit who retries hears "won" again. Then the sold-out flag: after
-- sell-out the stock key is never touched again.
local prev = redis.call('HGET', KEYS[4], ARGV[2])
if prev then
  return {2, prev}
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {0, 'sold_out'}
end
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then
  return {3, 'already_bought'}
end
local s = redis.call('GET', KEYS[1])
if not s then
  return {4, 'no_sale'}
end
if tonumber(s) <= 0 then
  redis.call('SET', KEYS[2], '1')
  return {0, 'sold_out'}
end
local left = redis.call('DECR', KEYS[1])
if left == 0 then
  redis.call('SET', KEYS[2], '1')
end
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[4], ARGV[2], ARGV[1])
return {1, tostring(left)}
