"""Alert intake: monitoring systems (Prometheus Alertmanager) posting alerts that become
incidents. Integrations with their credential, mapping and recovery policy (tables.py,
mapping.py), the webhook endpoint (receiver.py), what a notification does to incidents
(intake.py), and the GraphQL API to manage integrations (api.py)."""
