"""The incident domain's permission names."""

VIEW = "incident:view"
CREATE = "incident:create"
UPDATE = "incident:update"
ASSIGN = "incident:assign"
COMMENT_ON_BEHALF = "incident:comment_on_behalf"
"""Write a comment whose author is another user than the caller (e.g. transcribing a call)."""
