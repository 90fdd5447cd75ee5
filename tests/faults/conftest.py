"""Fault injection: the real server process while its PostgreSQL (or Redis) stops and starts."""
