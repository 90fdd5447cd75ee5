"""The incident domain's manifest: what the registry (opsgraph/domains.py) needs to run it."""

from pathlib import Path

from resolvers.domain import Domain, Numbering
from subgraphs.incidents import auto_close_job, bulk, deletion, permissions, seed, tables
from subgraphs.incidents.alerts import ci_names, receiver
from subgraphs.incidents.alerts import tables as alert_tables
from subgraphs.incidents.attachments import download as attachment_download
from subgraphs.incidents.cache_hints import CACHE_HINTS
from subgraphs.incidents.custom_fields import service as field_service
from subgraphs.incidents.custom_fields import tables as field_tables
from subgraphs.incidents.events import EVENT_KIND, SETTINGS_UPDATED
from subgraphs.incidents.reactions import PROBLEM_REACTIONS
from subgraphs.incidents.references import STORED_REFERENCES
from subgraphs.incidents.schema import schema

DOMAIN = Domain(
    name="incidents",
    schema=schema,
    metadata=tables.Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    permissions=permissions.PERMISSIONS,
    grants=permissions.GRANTS,
    seed=seed.seed,
    cache_hints=CACHE_HINTS,
    event_kinds=frozenset(
        {*EVENT_KIND.values(), SETTINGS_UPDATED, bulk.PROGRESS, field_service.FIELD_CREATED}
    ),
    references=STORED_REFERENCES,
    numbers=(Numbering("INC", tables.Incident.number, tables.IncidentNumber.last_number),),
    audited={
        "Incident": tables.Incident.id,
        "IncidentComment": tables.IncidentComment.id,
        "Integration": alert_tables.Integration.id,
        "IncidentField": field_tables.IncidentField.id,
    },
    # Notes and releases when problems publish workarounds or are resolved (issue 20); the
    # names of CIs, from the CMDB's events, that alerts are mapped to (alerts/ci_names.py).
    consumers=(PROBLEM_REACTIONS, ci_names.CONSUMER),
    # The NOC wallboard: open incidents by priority, kept current over a subscription.
    pages={"wallboard": Path(__file__).parent / "wallboard"},
    # Prometheus Alertmanager's webhook: alerts become incidents (alerts/, issue 21); the
    # download of incidents' attachments (attachments/, issue 19).
    routes=(receiver.ROUTE, attachment_download.ROUTE),
    # Auto-close of resolved incidents, purge of deleted ones, large bulk updates (issue 19).
    jobs=(auto_close_job.JOB, deletion.PURGE_JOB, bulk.JOB),
)
