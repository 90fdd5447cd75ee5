"""What a process tells its operators: OpenTelemetry traces (tracing.py), structured logs
(logs.py) and the per-request part of both (requests.py: request id, server span, access
log line)."""
