"""The durable job queue's runner and status: the process serving a domain runs its job kinds
(resolvers/jobs.py) on procrastinate's worker (runner.py); status.py counts what is queued."""
