-- Gives back the unit of a won request whose flash-sale message could not be sent, so the
-- unit is not lost: undo exactly what gate.lua did, only if the request is still recorded.
-- KEYS as in gate.lua; ARGV[1] user id, ARGV[2] request id. Returns 1 if released, 0 if not.
if redis.call('HGET', KEYS[4], ARGV[2]) ~= ARGV[1] then
  return 0
end
redis.call('HDEL', KEYS[4], ARGV[2])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('INCR', KEYS[1])
redis.call('DEL', KEYS[2])
return 1
