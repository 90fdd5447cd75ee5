"""Mutation root of the incidents subgraph, one module per mutation."""

import strawberry

from subgraphs.incidents.alerts import api as alert_api
from subgraphs.incidents.custom_fields import api as field_api
from subgraphs.incidents.mutations.add_comment import add_comment
from subgraphs.incidents.mutations.assign_incident import assign_incident
from subgraphs.incidents.mutations.create_incident import create_incident
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
    create_integration = alert_api.create_integration
    update_integration = alert_api.update_integration
    delete_integration = alert_api.delete_integration
    create_incident_field = field_api.create_incident_field
