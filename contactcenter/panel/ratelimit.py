"""A small in-process token bucket per client address (public intake form, SMS webhook).

Pure: the caller passes the time. Behind a reverse proxy, configure ProxyFix so the
address is the client's."""
from __future__ import annotations

import threading


class RateLimiter:
    def __init__(self, capacity: int, per_seconds: float, max_keys: int = 10000):
        self.capacity = capacity
        self.rate = capacity / per_seconds
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, now: float) -> bool:
        """Take one token for `key` at time `now` (seconds); False when the bucket is empty."""
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.capacity), now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if len(self._buckets) >= self.max_keys and key not in self._buckets:
                self._buckets.clear()  # bounded memory; a flood only resets everyone's allowance
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1, now)
            return True

    def retry_after(self, key: str, now: float) -> float:
        tokens, last = self._buckets.get(key, (float(self.capacity), now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        return max(0.0, (1 - tokens) / self.rate)
