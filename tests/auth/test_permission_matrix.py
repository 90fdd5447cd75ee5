"""The authorisation matrix: every restricted root field, mutation and entity type, for a
caller without a token, one without the permission, each built-in role, and an admin of
another tenant. A refused call returns the right code and changes nothing (no row, no audit
record); an allowed one succeeds; the other tenant's admin neither sees nor changes anything
of this tenant."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import pytest
from graphql import ObjectTypeDefinitionNode, ObjectTypeExtensionNode, parse, print_ast
from sqlalchemy import insert
from starlette.datastructures import UploadFile

from db.tenants import create_tenant
from opsgraph.domains import REGISTRY
from opsgraph.server import api_schema, build_gateway
from resolvers.context import Context
from resolvers.principal import Principal
from subgraphs.webhooks import tables as webhook_tables

PRINCIPALS = ["anonymous", "no permission", "viewer", "operator", "admin", "other tenant"]

# (name, subgraph, operation); the permission each needs is the one its root field declares
# (`@requiresScopes`, found in the subgraphs' SDL below), or for `_entities`, ENTITY_PERMISSION.
# $incident, $user, $team, $role, $ci, $app, $relationship, $integration... are filled in per test.
OPERATIONS = [
    ("incidents", "incidents", "{ incidents { totalCount } }"),
    ("incident", "incidents", "query($incident: ID!) { incident(id: $incident) { id } }"),
    ("incidentByNumber", "incidents", '{ incidentByNumber(number: "INC-1") { id } }'),
    ("_entities Incident", "incidents", "query($incident: ID!) { _entities(representations: "
     '[{__typename: "Incident", id: $incident}]) { ... on Incident { id } } }'),
    ("createIncident", "incidents",
     'mutation { createIncident(input: {title: "x"}) { id } }'),
    ("updateIncident", "incidents", "mutation($incident: ID!) { updateIncident(id: $incident, "
     'input: {title: "changed"}) { id } }'),
    ("transitionIncident", "incidents", "mutation($incident: ID!) { transitionIncident("
     "id: $incident, input: {status: IN_PROGRESS}) { dryRun } }"),
    ("incidentSettings", "incidents", "{ incidentSettings { reopenWindowDays } }"),
    ("updateIncidentSettings", "incidents", "mutation { updateIncidentSettings(input: "
     "{reopenWindowDays: 3}) { reopenWindowDays } }"),
    ("deleteIncident", "incidents", "mutation($incident: ID!) { deleteIncident(id: $incident, "
     'reason: "test") { id } }'),
    ("restoreIncident", "incidents",
     "mutation($incident: ID!) { restoreIncident(id: $incident) { id } }"),
    ("bulkUpdateIncidents", "incidents", "mutation($incident: ID!) { bulkUpdateIncidents("
     "ids: [$incident], input: {priority: LOW}) { total } }"),
    ("incidentBulkUpdate", "incidents", "query($incident: ID!) { incidentBulkUpdate("
     "jobId: $incident) { done } }"),
    ("assignIncident", "incidents", "mutation($incident: ID!, $user: ID!) { assignIncident("
     "id: $incident, userId: $user) { id } }"),
    ("addComment", "incidents", "mutation($incident: ID!) { addComment(incidentId: $incident, "
     'input: {body: "hi"}) { id } }'),
    ("addIncidentAttachment", "incidents", "mutation($incident: ID!, $file: Upload!) { "
     "addIncidentAttachment(incidentId: $incident, file: $file) { id } }"),
    ("deleteIncidentAttachment", "incidents", "mutation($attachment: ID!) { "
     "deleteIncidentAttachment(id: $attachment) { id } }"),
    ("integrations", "incidents", "{ integrations { id name } }"),
    ("integrationDeliveries", "incidents", "query($integration: ID!) { integrationDeliveries("
     "integrationId: $integration) { statusCode } }"),
    ("createIntegration", "incidents", 'mutation { createIntegration(input: {kind: ALERTMANAGER, '
     'name: "matrix"}) { secret } }'),
    ("updateIntegration", "incidents", "mutation($integration: ID!) { updateIntegration("
     "id: $integration, input: {enabled: false}) { enabled } }"),
    ("deleteIntegration", "incidents", "mutation($integration: ID!) { deleteIntegration("
     "id: $integration) }"),
    ("majorIncidents", "incidents", "{ majorIncidents { totalCount } }"),
    ("setIncidentParent", "incidents", "mutation($incident: ID!, $free: ID!) { "
     "setIncidentParent(id: $incident, parentId: $free) { id } }"),
    ("proposeMajorIncident", "incidents", "mutation($incident: ID!) { proposeMajorIncident("
     'id: $incident, reason: "Site down") { majorState } }'),
    ("acceptMajorIncident", "incidents", "mutation($proposed: ID!) { acceptMajorIncident("
     "id: $proposed) { majorState } }"),
    ("rejectMajorIncident", "incidents", "mutation($proposed: ID!) { rejectMajorIncident("
     'id: $proposed, reason: "One team") { majorState } }'),
    ("markDuplicate", "incidents", "mutation($free: ID!, $incident: ID!) { markDuplicate("
     "id: $free, of: $incident) { status } }"),
    ("watchIncident", "incidents",
     "mutation($incident: ID!) { watchIncident(id: $incident) { id } }"),
    ("unwatchIncident", "incidents",
     "mutation($incident: ID!) { unwatchIncident(id: $incident) { id } }"),
    ("incidentFields", "incidents", "{ incidentFields { name type } }"),
    ("createIncidentField", "incidents", 'mutation { createIncidentField(input: {name: "tier", '
     "type: NUMBER}) { id } }"),
    ("incidentCounts", "incidents", "{ incidentCounts(groupBy: STATUS) { total } }"),
    ("users", "identity", "{ users { totalCount } }"),
    ("user", "identity", "query($user: ID!) { user(id: $user) { id } }"),
    ("teams", "identity", "{ teams { totalCount } }"),
    ("team", "identity", "query($team: ID!) { team(id: $team) { id } }"),
    ("_entities User", "identity", "query($user: ID!) { _entities(representations: "
     '[{__typename: "User", id: $user}]) { ... on User { id } } }'),
    ("createUser", "identity", 'mutation { createUser(input: {name: "N", email: '
     '"n@example.com"}) { id } }'),
    ("updateUser", "identity", "mutation($user: ID!) { updateUser(id: $user, input: "
     '{name: "Renamed", active: false}) { id active } }'),
    ("createTeam", "identity", 'mutation { createTeam(input: {name: "New team"}) { id } }'),
    ("addTeamMember", "identity", "mutation($team: ID!, $user: ID!) { addTeamMember(teamId: "
     "$team, userId: $user) { id } }"),
    ("removeTeamMember", "identity", "mutation($team: ID!, $user: ID!) { removeTeamMember("
     "teamId: $team, userId: $user) { id } }"),
    ("auditLog", "identity", "{ auditLog { totalCount edges { node { operation entityId "
     "changes { after } actor { id } } } } }"),
    ("roles", "identity", "{ roles { id name permissions } }"),
    ("permissions", "identity", "{ permissions }"),
    ("createRole", "identity", 'mutation { createRole(input: {name: "new-role", '
     'permissions: ["incident:view"]}) { id } }'),
    ("updateRole", "identity", "mutation($role: ID!) { updateRole(id: $role, input: "
     "{permissions: []}) { id permissions } }"),
    ("deleteRole", "identity", "mutation($role: ID!) { deleteRole(id: $role) { id } }"),
    ("apiClients", "identity", "{ apiClients { clientId safelistOnly documentCount } }"),
    ("createApiClient", "identity", 'mutation { createApiClient(input: {clientId: "new-app"}) '
     "{ id } }"),
    ("updateApiClient", "identity", 'mutation { updateApiClient(clientId: "seed-app", input: '
     "{safelistOnly: true}) { safelistOnly } }"),
    ("registerPersistedOperations", "identity", "mutation($manifest: String!) { "
     'registerPersistedOperations(input: {clientId: "seed-app", manifest: $manifest}) '
     "{ addedIds } }"),
    ("configurationItems", "cmdb", "{ configurationItems { totalCount } }"),
    ("configurationItem", "cmdb", "query($ci: ID!) { configurationItem(id: $ci) { id } }"),
    ("configurationItemByName", "cmdb", '{ configurationItemByName(className: "Server", '
     'name: "seed-ci") { id } }'),
    ("ciClasses", "cmdb", "{ ciClasses { name } }"),
    ("ciClass", "cmdb", '{ ciClass(name: "Server") { attributes { name } } }'),
    ("_entities ConfigurationItem", "cmdb", "query($ci: ID!) { _entities(representations: "
     '[{__typename: "ConfigurationItem", id: $ci}]) { ... on ConfigurationItem { id } } }'),
    ("createConfigurationItem", "cmdb", "mutation { createConfigurationItem(input: "
     '{className: "Server", name: "new-ci"}) { id } }'),
    ("updateConfigurationItem", "cmdb", "mutation($ci: ID!) { updateConfigurationItem("
     "id: $ci, input: {criticality: 1}) { id } }"),
    ("retireConfigurationItem", "cmdb",
     "mutation($ci: ID!) { retireConfigurationItem(id: $ci) { id } }"),
    ("deleteConfigurationItem", "cmdb", "mutation($ci: ID!) { deleteConfigurationItem(id: $ci) }"),
    ("createCiClass", "cmdb", 'mutation { createCiClass(input: {name: "Rack"}) { id } }'),
    ("addCiAttribute", "cmdb", 'mutation { addCiAttribute(className: "Server", input: '
     '{name: "rack", type: STRING}) { name } }'),
    ("removeCiAttribute", "cmdb",
     'mutation { removeCiAttribute(className: "Server", name: "seedNote") }'),
    ("relationshipTypes", "cmdb", "{ relationshipTypes { name } }"),
    ("ciRelationship", "cmdb",
     "query($relationship: ID!) { ciRelationship(id: $relationship) { id } }"),
    ("outageImpact", "cmdb",
     "query($ci: ID!) { outageImpact(ciIds: [$ci]) { graph { nodes { distance } } } }"),
    ("addRelationship", "cmdb", "mutation($ci: ID!, $app: ID!) { addRelationship(input: "
     '{parentId: $app, childId: $ci, type: "RUNS_ON"}) { id } }'),
    ("removeRelationship", "cmdb",
     "mutation($relationship: ID!) { removeRelationship(id: $relationship) { id } }"),
    ("upsertConfigurationItems", "cmdb", 'mutation { upsertConfigurationItems(input: {source: '
     '"feed", items: [{externalId: "f-1", className: "Server", name: "feed-ci"}]}) { created } }'),
    ("problems", "problems", "{ problems { totalCount } }"),
    ("problem", "problems", "query($problem: ID!) { problem(id: $problem) { id } }"),
    ("problemByNumber", "problems", '{ problemByNumber(number: "PRB-1") { id } }'),
    ("knownErrors", "problems", "{ knownErrors { totalCount edges { node { workaround } } } }"),
    ("problemCandidates", "problems", "{ problemCandidates { incidentCount } }"),
    ("_entities Problem", "problems", "query($problem: ID!) { _entities(representations: "
     '[{__typename: "Problem", id: $problem}]) { ... on Problem { id } } }'),
    ("createProblem", "problems", 'mutation { createProblem(input: {title: "x"}) { id } }'),
    ("createProblemFromIncidents", "problems", "mutation($free: ID!) { "
     'createProblemFromIncidents(incidentIds: [$free], input: {title: "x"}) { id } }'),
    ("updateProblem", "problems", "mutation($problem: ID!) { updateProblem(id: $problem, "
     'input: {title: "changed"}) { id } }'),
    ("assignProblem", "problems", "mutation($problem: ID!, $user: ID!) { assignProblem("
     "id: $problem, userId: $user) { id } }"),
    ("addProblemComment", "problems", "mutation($problem: ID!) { addProblemComment("
     'problemId: $problem, input: {body: "hi"}) { id } }'),
    ("markKnownError", "problems", "mutation($problem: ID!) { markKnownError(id: $problem, "
     'input: {symptom: "s", workaround: "w2"}) { id } }'),
    ("publishWorkaround", "problems", "mutation($problem: ID!) { publishWorkaround("
     'id: $problem, workaround: "w3") { id } }'),
    ("linkIncidents", "problems", "mutation($problem: ID!, $free: ID!) { linkIncidents("
     "problemId: $problem, incidentIds: [$free]) { id } }"),
    ("unlinkIncident", "problems", "mutation($problem: ID!, $incident: ID!) { unlinkIncident("
     "problemId: $problem, incidentId: $incident) { id } }"),
    ("webhooks", "webhooks", "{ webhooks { id url } }"),
    ("webhook", "webhooks", "query($webhook: ID!) { webhook(id: $webhook) { id url } }"),
    ("webhookDeliveries", "webhooks", "query($webhook: ID!) { webhookDeliveries(webhookId: "
     "$webhook) { edges { node { id eventType } } } }"),
    ("createWebhook", "webhooks", 'mutation { createWebhook(input: {url: "http://127.0.0.1:9/x", '
     'events: ["incident.created"]}) { secret } }'),
    ("updateWebhook", "webhooks", "mutation($webhook: ID!) { updateWebhook(id: $webhook, "
     "input: {active: false}) { webhook { active } } }"),
    ("deleteWebhook", "webhooks", "mutation($webhook: ID!) { deleteWebhook(id: $webhook) }"),
    ("redeliverWebhook", "webhooks", "mutation($delivery: ID!) { redeliverWebhook(deliveryId: "
     "$delivery) { id } }"),
]  # fmt: skip
ENTITY_PERMISSION = {
    "_entities Incident": "incident:view",
    "_entities User": "identity:view",
    "_entities ConfigurationItem": "cmdb:view",
    "_entities Problem": "problem:view",
}
ROOTS = ("Query", "Mutation")


def declared_permissions() -> dict[str, str]:
    """Each restricted query and mutation field, by name, with the permission its subgraph
    declares for it."""
    declared = {}
    for domain in REGISTRY.domains:
        for definition in parse(domain.schema.as_str()).definitions:
            if not isinstance(definition, ObjectTypeDefinitionNode | ObjectTypeExtensionNode):
                continue
            if definition.name.value not in ROOTS:
                continue
            for field in definition.fields or ():
                for directive in field.directives or ():
                    if directive.name.value == "requiresScopes":
                        scopes = print_ast(directive.arguments[0].value)
                        declared[field.name.value] = scopes.strip('[]"')
    return declared


DECLARED = declared_permissions()
MATRIX = [
    (name, schema, query, DECLARED.get(name) or ENTITY_PERMISSION[name])
    for name, schema, query in OPERATIONS
]
# Persisted operations are validated against the composed schema, as the server injects it.
GATEWAY = build_gateway()  # what the router process hands down to request contexts
API_SCHEMA = api_schema(GATEWAY)
SCHEMAS = {domain.name: domain.schema for domain in REGISTRY.domains}
# Everything of the tenant an operation could change, audit records included.
SNAPSHOT = {
    "incidents": "{ incidents { totalCount edges { node { title assignee { id } "
    "comments { id } history { id } status parentId majorState watchers { id } "
    "attachments { id } } } } "
    "integrations { id name enabled } incidentFields { name } }",
    "identity": "{ users { totalCount edges { node { name phone active } } } "
    "teams { totalCount edges { node { members { id } } } } "
    "roles { id name permissions } auditLog { totalCount } "
    "apiClients { clientId safelistOnly documentCount } }",
    "cmdb": "{ configurationItems { totalCount edges { node { name status criticality "
    "attributes history { id } relationships { id } } } } ciClasses { name attributes { name } } }",
    "problems": "{ problems { totalCount edges { node { title known_error: knownError "
    "workaround assignee { id } comments { id } history { id } incidents { totalCount } } } } }",
    "webhooks": "{ webhooks { id url active deliveries { edges { node { status attempts } } } } }",
}


def principal(kind: str, tenant: uuid.UUID, other_tenant: uuid.UUID) -> Principal:
    if kind == "anonymous":
        return Principal(tenant_id=tenant)
    # Each a user (watchIncident watches as the caller).
    user = uuid.uuid4()
    if kind == "other tenant":
        return REGISTRY.roles.principal(
            other_tenant, frozenset({"admin"}), authenticated=True, user_id=user
        )
    roles = frozenset() if kind == "no permission" else frozenset({kind})
    return REGISTRY.roles.principal(tenant, roles, authenticated=True, user_id=user)


async def snapshot(sessions: Any, admin: Principal) -> dict[str, Any]:
    return {
        name: (await run(sessions, admin, name, query)).data for name, query in SNAPSHOT.items()
    }


async def run(sessions: Any, who: Principal, schema: str, query: str, **variables: Any) -> Any:
    context = Context.open(
        sessions,
        principal=who,
        api_schema=API_SCHEMA,
        entity_presence=GATEWAY.entity_presence,
    )
    try:
        return await SCHEMAS[schema].execute(
            query, variable_values=variables, context_value=context
        )
    finally:
        await context.close()


@pytest.fixture(autouse=True)
def webhooks_to_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """The webhooks' targets are on 127.0.0.1 (never reached: no delivery runs here)."""
    monkeypatch.setenv("OPSGRAPH_WEBHOOK_ALLOW_PRIVATE", "true")


@pytest.mark.parametrize("kind", PRINCIPALS)
@pytest.mark.parametrize("name,schema,query,permission", MATRIX, ids=[op[0] for op in MATRIX])
async def test_matrix(
    sessions: Any,
    tenant_id: uuid.UUID,
    kind: str,
    name: str,
    schema: str,
    query: str,
    permission: str,
    owner_sessions: Any,
) -> None:
    async with owner_sessions() as session, session.begin():
        other_tenant = await create_tenant(session, f"x-{uuid.uuid4().hex[:10]}", "Other")
    admin = principal("admin", tenant_id, other_tenant)
    made = await run(
        sessions,
        admin,
        "identity",
        'mutation { u: createUser(input: {name: "Ann", email: "ann@example.com"}) '
        '{ id } t: createTeam(input: {name: "NOC"}) { id } '
        'r: createRole(input: {name: "triage", permissions: ["incident:view"]}) { id } '
        'c: createApiClient(input: {clientId: "seed-app"}) { id } }',
    )
    user, team, role = made.data["u"]["id"], made.data["t"]["id"], made.data["r"]["id"]
    await run(
        sessions,
        admin,
        "identity",
        "mutation($t: ID!, $u: ID!) { addTeamMember(teamId: $t, userId: $u) { id } }",
        t=team,
        u=user,
    )
    created = await run(
        sessions, admin, "incidents", 'mutation { createIncident(input: {title: "Seed"}) { id } }'
    )
    incident = created.data["createIncident"]["id"]
    free = (
        await run(
            sessions,
            admin,
            "incidents",
            'mutation { createIncident(input: {title: "Free"}) { id } }',
        )
    ).data["createIncident"]["id"]
    proposed = (
        await run(
            sessions,
            admin,
            "incidents",
            'mutation { createIncident(input: {title: "Proposed"}) { id } }',
        )
    ).data["createIncident"]["id"]
    await run(
        sessions,
        admin,
        "incidents",
        'mutation($i: ID!) { proposeMajorIncident(id: $i, reason: "Big") { id } }',
        i=proposed,
    )
    problem = await run(
        sessions,
        admin,
        "problems",
        "mutation($i: ID!) { createProblemFromIncidents(incidentIds: [$i], input: "
        '{title: "Seed problem"}) { id } }',
        i=incident,
    )
    problem_id = problem.data["createProblemFromIncidents"]["id"]
    cmdb = await run(
        sessions,
        admin,
        "cmdb",
        'mutation { c: createConfigurationItem(input: {className: "Server", name: "seed-ci"}) '
        '{ id } a: addCiAttribute(className: "Server", input: {name: "seedNote", '
        'type: STRING}) { name } app: createConfigurationItem(input: {className: "Application", '
        'name: "seed-app"}) { id } cl: createConfigurationItem(input: {className: "Cluster", '
        'name: "seed-cluster"}) { id } }',
    )
    ci, app = cmdb.data["c"]["id"], cmdb.data["app"]["id"]
    related = await run(
        sessions,
        admin,
        "cmdb",
        "mutation($app: ID!, $cl: ID!) { addRelationship(input: {parentId: $app, childId: $cl, "
        'type: "RUNS_ON"}) { id } }',
        app=app,
        cl=cmdb.data["cl"]["id"],
    )
    relationship = related.data["addRelationship"]["id"]
    manifest = '{"seed-count": "{ incidents { totalCount } }"}'
    hook = await run(
        sessions,
        admin,
        "webhooks",
        'mutation { createWebhook(input: {url: "http://127.0.0.1:9/seed", '
        'events: ["incident.created"]}) { webhook { id } } }',
    )
    webhook = hook.data["createWebhook"]["webhook"]["id"]
    alerting = await run(
        sessions,
        admin,
        "incidents",
        'mutation { createIntegration(input: {kind: ALERTMANAGER, name: "seed-alerts"}) '
        "{ integration { id } } }",
    )
    integration = alerting.data["createIntegration"]["integration"]["id"]
    attached = await run(
        sessions,
        admin,
        "incidents",
        "mutation($i: ID!, $f: Upload!) { addIncidentAttachment(incidentId: $i, file: $f) { id } }",
        i=incident,
        f=UploadFile(io.BytesIO(b"seed"), filename="seed.txt"),
    )
    attachment = attached.data["addIncidentAttachment"]["id"]
    async with owner_sessions() as session, session.begin():
        delivery = await session.scalar(
            insert(webhook_tables.WebhookDelivery)
            .values(
                tenant_id=tenant_id,
                webhook_id=webhook,
                event_seq=1,
                event_kind="incident.created",
                entity_type="Incident",
                entity_id=incident,
                body={},
                status="DEAD",
            )
            .returning(webhook_tables.WebhookDelivery.id)
        )
    variables = {
        "incident": incident,
        "user": user,
        "team": team,
        "role": role,
        "ci": ci,
        "app": app,
        "relationship": relationship,
        "manifest": manifest,
        "problem": problem_id,
        "free": free,
        "proposed": proposed,
        "webhook": webhook,
        "integration": integration,
        "delivery": str(delivery),
        "attachment": attachment,
    }
    used: dict[str, Any] = {k: v for k, v in variables.items() if f"${k}" in query}
    if "$file" in query:  # an upload, as the router hands it over
        used["file"] = UploadFile(io.BytesIO(b"matrix"), filename="matrix.txt")
    before = await snapshot(sessions, admin)

    who = principal(kind, tenant_id, other_tenant)
    result = await run(sessions, who, schema, query, **used)

    if kind == "other tenant":
        # Allowed or NOT_FOUND there; either way none of this tenant's rows shows or changes.
        codes = {e.extensions["code"] for e in result.errors or []}
        assert codes <= {"NOT_FOUND"}, result.errors
        shown = json.dumps(result.data)
        assert not any(value in shown for value in (*variables.values(), "Seed", "Ann", "NOC"))
        assert await snapshot(sessions, admin) == before
    elif who.can(permission):
        assert not result.errors, result.errors
    else:
        codes = [e.extensions["code"] for e in result.errors or []]
        assert codes == ["UNAUTHENTICATED" if kind == "anonymous" else "FORBIDDEN"]
        assert await snapshot(sessions, admin) == before


def test_every_restricted_query_and_mutation_is_in_the_matrix() -> None:
    assert set(DECLARED) <= {name for name, _, _ in OPERATIONS}
