-- Tests and hits every fixed window of one call at once, on the mock's clock (mockserver.ratelimit.redis).
--
-- KEYS[i]: the window of limit i (one hash: count, expires_at), all of one call in one hash slot.
-- ARGV[1]: now, on the mock's clock (seconds since the epoch); ARGV[2]: seconds Redis keeps an idle
-- window (a bound on memory, longer than any window). ARGV[1 + 2i], ARGV[2 + 2i]: limit i's amount
-- and its window in seconds.
-- Answers 0 when the call is admitted (every window counted one more), or {i, expires_at} for the first
-- limit that refuses it (nothing counted: a refused call uses no window).
-- A window starts at its first call and ends `seconds` later on the mock's clock, so advancing the clock
-- rolls it; Redis's own expiry (real time) only drops keys long idle.
local now = tonumber(ARGV[1])
local keep = tonumber(ARGV[2])
local windows = {}
for i = 1, #KEYS do
    local amount = tonumber(ARGV[1 + 2 * i])
    local window = redis.call('HMGET', KEYS[i], 'count', 'expires_at')
    local count, expires_at = tonumber(window[1]), tonumber(window[2])
    if count == nil or expires_at == nil or expires_at <= now then
        count, expires_at = 0, now + tonumber(ARGV[2 + 2 * i])
    end
    if count >= amount then
        return {i, string.format('%.17g', expires_at)}
    end
    windows[i] = {count + 1, expires_at}
end
for i = 1, #KEYS do
    -- %.17g keeps expires_at exactly (tostring keeps 14 digits)
    redis.call('HSET', KEYS[i], 'count', windows[i][1], 'expires_at', string.format('%.17g', windows[i][2]))
    redis.call('EXPIRE', KEYS[i], keep)
end
return 0
