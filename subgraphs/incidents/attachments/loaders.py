"""The attachments of a page of incidents, in one statement."""

from resolvers.attachments.loaders import AttachmentsByOwnerIdLoader

OWNER_TYPE = "Incident"


class AttachmentsByIncidentIdLoader(AttachmentsByOwnerIdLoader):
    owner_type = OWNER_TYPE
