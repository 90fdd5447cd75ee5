"""Files attached to incidents, through the shared attachments facility (resolvers/
attachments/): `addIncidentAttachment` / `deleteIncidentAttachment`, `Incident.attachments`
and the download endpoint (`GET /incidents/attachments?token=...`). Reading follows
incident:view; attaching and removing need incident:update."""
