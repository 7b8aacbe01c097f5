-- Tests and hits every fixed window of one call at once, on the mock's clock (mockserver.ratelimit.postgres),
-- after checking the generation the call went on against the store's `generation` row: PostgreSQL's
-- counterpart of redis.lua, one statement and one round trip a call.
--
-- caller_key: whose calls the windows count (an app and an operation); the call holds a lock on it
-- until it commits, so two hosts cannot both admit the last call of a window.
-- went_on: the generation the call went on unchecked, or NULL (none to check).
-- at: now, on the mock's clock (seconds since the epoch).
-- window_keys[i], amounts[i], window_seconds[i]: limit i's window (a `rate_counters` key), its amount and
-- its length in seconds.
-- Answers (current_generation, 0, NULL) when the call is admitted (every window counted one more),
-- (current_generation, i, refused_until) for the first limit that refuses it (nothing counted: a refused
-- call uses no window), or (current_generation, -1, NULL) when the call went on another generation than
-- the row's (nothing counted: the call is answered again on the current one).
-- A window starts at its first call and ends `window_seconds` later on the mock's clock, so advancing the
-- clock rolls it.
CREATE OR REPLACE FUNCTION feishu_rate_hit(
    caller_key text,
    went_on bigint,
    at double precision,
    window_keys text[],
    amounts integer[],
    window_seconds integer[]
) RETURNS TABLE (current_generation bigint, refused integer, refused_until double precision)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    live_count integer;
    live_until double precision;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext(caller_key));
    SELECT g.value INTO current_generation FROM generation AS g WHERE g.id = 1;
    IF went_on IS NOT NULL AND went_on <> current_generation THEN
        refused := -1;
        RETURN NEXT;
        RETURN;
    END IF;
    FOR i IN 1 .. coalesce(array_length(window_keys, 1), 0) LOOP
        SELECT c.count, c.expires_at INTO live_count, live_until
            FROM rate_counters AS c WHERE c.key = window_keys[i] AND c.expires_at > at;
        IF NOT FOUND THEN
            live_count := 0;
            live_until := at + window_seconds[i];
        END IF;
        IF live_count >= amounts[i] THEN
            refused := i;
            refused_until := live_until;
            RETURN NEXT;
            RETURN;
        END IF;
    END LOOP;
    FOR i IN 1 .. coalesce(array_length(window_keys, 1), 0) LOOP
        INSERT INTO rate_counters AS c (key, count, expires_at) VALUES (window_keys[i], 1, at + window_seconds[i])
            ON CONFLICT (key) DO UPDATE SET
                count = CASE WHEN c.expires_at <= at THEN 1 ELSE c.count + 1 END,
                expires_at = CASE WHEN c.expires_at <= at THEN excluded.expires_at ELSE c.expires_at END;
    END LOOP;
    refused := 0;
    RETURN NEXT;
END
$$
