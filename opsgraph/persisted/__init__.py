"""The server side of persisted operations and caches: who a request context speaks for,
trusted documents in PostgreSQL, APQ and response-cache stores in Redis, cache invalidation
from the event bus, and manifest registration (`opsgraph persisted register|check`)."""
