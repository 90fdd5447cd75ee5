"""The family of an incident (issue 19): its parent and children, with the parent's moves
cascading to its open children (ServiceNow's rules); major incidents (proposed, then accepted
or rejected by a holder of `incident:major`); duplicates merged into their original; and the
users watching an incident.

Built on `incidents.parent_id` (the alert receiver's groups, incidents_0004); its own columns
and table come with incidents_0008. No Strawberry outside `fields.py`, `api.py`, `enums.py`.

For auto-close and other schedulers: a major incident never closes by itself — use
`rules.is_major(row)` or, in SQL, `rules.MAJOR` (`major_state = 'ACCEPTED'`)."""
