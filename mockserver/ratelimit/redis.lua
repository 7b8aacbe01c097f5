-- Tests and hits every fixed window of one call at once, on the mock's clock (mockserver.ratelimit.redis),
-- after checking the generation the call went on against the copy kept here.
--
-- KEYS[1]: the copy of the store's generation (mockserver.storage.postgres.PostgresGeneration).
-- KEYS[1 + i]: the window of limit i (one hash: count, expires_at).
-- ARGV[1]: the generation the call went on unchecked, or -1 (none to check); ARGV[2]: now, on the mock's
-- clock (seconds since the epoch); ARGV[3]: seconds Redis keeps an idle window (a bound on memory,
-- longer than any window). ARGV[2 + 2i], ARGV[3 + 2i]: limit i's amount and its window in seconds.
-- Answers {generation, 0} when the call is admitted (every window counted one more), {generation, i,
-- expires_at} for the first limit that refuses it (nothing counted: a refused call uses no window), or
-- {generation, -1} when the call went on an older generation than the copy's (nothing counted: the call
-- is answered again on the current one). A newer generation than the copy's was read from the store
-- itself: the copy takes it. With no windows, the call only checks (or announces) its generation.
-- A window starts at its first call and ends `seconds` later on the mock's clock, so advancing the clock
-- rolls it; Redis's own expiry (real time) only drops keys long idle.
local went_on = tonumber(ARGV[1])
local generation = tonumber(redis.call('GET', KEYS[1]) or '0')
if went_on >= 0 then
    if went_on > generation then
        redis.call('SET', KEYS[1], ARGV[1])
        generation = went_on
    elseif went_on < generation then
        return {generation, -1}
    end
end
local now = tonumber(ARGV[2])
local keep = tonumber(ARGV[3])
local windows = {}
for i = 2, #KEYS do
    local amount = tonumber(ARGV[2 * i])
    local window = redis.call('HMGET', KEYS[i], 'count', 'expires_at')
    local count, expires_at = tonumber(window[1]), tonumber(window[2])
    if count == nil or expires_at == nil or expires_at <= now then
        count, expires_at = 0, now + tonumber(ARGV[1 + 2 * i])
    end
    if count >= amount then
        return {generation, i - 1, string.format('%.17g', expires_at)}
    end
    windows[i] = {count + 1, expires_at}
end
for i = 2, #KEYS do
    -- %.17g keeps expires_at exactly (tostring keeps 14 digits)
    redis.call('HSET', KEYS[i], 'count', windows[i][1], 'expires_at', string.format('%.17g', windows[i][2]))
    redis.call('EXPIRE', KEYS[i], keep)
end
return {generation, 0}
