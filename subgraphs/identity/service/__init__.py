"""Identity's service layer: the writes (each recording its outbox event in the caller's unit
of work) and the reads behind the API, one module per entity. No Strawberry here: callers pass
plain values and get table rows back (and, for writes, the changed fields as
`{field: [old, new]}`, empty when nothing changed), or the statements a page is read with."""
