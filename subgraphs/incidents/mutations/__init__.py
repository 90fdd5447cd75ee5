"""Mutation root of the incidents subgraph, one module per mutation."""

import strawberry

from subgraphs.incidents import bulk_api
from subgraphs.incidents.alerts import api as alert_api
from subgraphs.incidents.attachments import api as attachment_api
from subgraphs.incidents.custom_fields import api as field_api
from subgraphs.incidents.family import api as family_api
from subgraphs.incidents.mutations.add_comment import add_comment
from subgraphs.incidents.mutations.assign_incident import assign_incident
from subgraphs.incidents.mutations.create_incident import create_incident
from subgraphs.incidents.mutations.delete_incident import delete_incident, restore_incident
from subgraphs.incidents.mutations.transition_incident import transition_incident
from subgraphs.incidents.mutations.update_incident import update_incident
from subgraphs.incidents.mutations.update_incident_settings import update_incident_settings


@strawberry.type
class Mutation:
    create_incident = create_incident
    update_incident = update_incident
    transition_incident = transition_incident
    assign_incident = assign_incident
    add_comment = add_comment
    update_incident_settings = update_incident_settings
    delete_incident = delete_incident
    restore_incident = restore_incident
    bulk_update_incidents = bulk_api.bulk_update_incidents
    create_integration = alert_api.create_integration
    update_integration = alert_api.update_integration
    delete_integration = alert_api.delete_integration
    set_incident_parent = family_api.set_incident_parent
    propose_major_incident = family_api.propose_major_incident
    accept_major_incident = family_api.accept_major_incident
    reject_major_incident = family_api.reject_major_incident
    mark_duplicate = family_api.mark_duplicate
    watch_incident = family_api.watch_incident
    unwatch_incident = family_api.unwatch_incident
    create_incident_field = field_api.create_incident_field
    add_incident_attachment = attachment_api.add_incident_attachment
    delete_incident_attachment = attachment_api.delete_incident_attachment
