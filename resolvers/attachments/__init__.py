"""Attachments: files attached to any domain's entities, a shared facility.

A domain attaches an upload (the GraphQL multipart request's `Upload`) to one of its entities
with `storing.store_upload`, lists an entity's files with a loader of `loaders.py`, gives each
a short-lived signed download URL (`signing.py`) and declares the download endpoint with
`download.download_route`, naming the permission that reads its entities. Rows live in the
shared `attachments` schema (db/tables/attachments.py); bytes in the store `config.py` holds:
PostgreSQL by default, an S3-compatible bucket when configured (`store.py`)."""
