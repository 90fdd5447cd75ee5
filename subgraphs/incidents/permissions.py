"""The incident domain's permission names."""

VIEW = "incident:view"
CREATE = "incident:create"
UPDATE = "incident:update"
ASSIGN = "incident:assign"
