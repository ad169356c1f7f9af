"""The cached reads of the hotel trace's key classes: one key format and one query per
class, shared by the app (cache-aside on a miss) and the warmer (ahead of traffic).

Rooms have no table of their own here: a room's availability and details are read from
its locks (the roadmap's idx_locks_room_id serves them), a rate is a one-row query.
"""
import json
import random

from . import settings

ROOMS = 5000

# class -> (key format, TTL in seconds, SQL with one %s for the id)
CLASSES = {
    "availability": (
        "availability:{}",
        settings.TTLS["availability"],
        "SELECT count(*) FROM locks WHERE room_id = %s",
    ),
    "roomDetails": (
        "room:{}",
        settings.TTLS["roomDetails"],
        "SELECT count(*), max(acquired_at) FROM locks WHERE room_id = %s",
    ),
    "rates": ("rate:{}", settings.TTLS["rates"], "SELECT 80 + (%s::int %% 170)"),
    "guest": (
        "guest:{}:reservations",
        settings.TTLS["guest"],
        "SELECT id, room_id, check_in, status FROM reservations WHERE guest_id = %s",
    ),
}


def body(rows):
    """A read's rows as the app serves and caches them."""
    return json.dumps([list(map(str, row)) for row in rows])


def ttl(seconds):
    """A class's TTL times a random factor in [1 - jitter, 1 + jitter] (CACHE_TTL_JITTER)."""
    return max(1, round(seconds * random.uniform(1 - settings.TTL_JITTER, 1 + settings.TTL_JITTER)))


# What the warmer loads per class, in one query each: (id, the rows the app's query returns for it).
def _locks_by_room(cur, columns):
    cur.execute(f"SELECT room_id, {columns} FROM locks GROUP BY room_id")
    found = {r[0]: tuple(r[1:]) for r in cur.fetchall()}
    return found


def warm_rows(key_class, cur):
    """Every id of a class the warmer loads, with the rows a miss would have read."""
    if key_class == "availability":
        found = _locks_by_room(cur, "count(*)")
        return {room: [found.get(room, (0,))] for room in range(ROOMS)}
    if key_class == "roomDetails":
        found = _locks_by_room(cur, "count(*), max(acquired_at)")
        return {room: [found.get(room, (0, None))] for room in range(ROOMS)}
    if key_class == "rates":
        return {room: [(80 + room % 170,)] for room in range(ROOMS)}
    return {}
