"""Custom fields: the fields a tenant defines on its incidents (name, type, required, enum
values), their values checked on every write by a JSON Schema generated from the definitions,
and the filter conditions on them. The values live in `incidents.custom_fields` (JSONB)."""
