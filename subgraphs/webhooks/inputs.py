"""Input types of the webhooks subgraph."""

from __future__ import annotations

import strawberry


@strawberry.input(
    description="A condition on an event's data, as the list filters of the queries work: the "
    "field's value must be one of `in` (e.g. field `status`, in `[OPEN, IN_PROGRESS]`). A "
    "change reads at its new value; a field the event does not carry fails the condition."
)
class EventConditionInput:
    field: str = strawberry.field(description="A field of the event's data, e.g. `status`.")
    in_: list[str] = strawberry.field(
        name="in", description="The values it may have (any of them)."
    )


@strawberry.input(description="A new outbound webhook.")
class CreateWebhookInput:
    url: str = strawberry.field(
        description="Where deliveries are POSTed (http or https). A host that is or resolves "
        "to a loopback, private, link-local or metadata address is refused."
    )
    events: list[str] = strawberry.field(
        description="The event types delivered, e.g. `incident.created` (see the README)."
    )
    filter: list[EventConditionInput] | None = strawberry.field(
        default=None, description="Conditions on the event's data; all must hold."
    )
    secret: str | None = strawberry.field(
        default=None,
        description="The signing secret (`whsec_` + base64 of 24-64 bytes); made when absent "
        "and returned once, by this mutation.",
    )
    active: bool = strawberry.field(default=True, description="Whether deliveries are sent.")


@strawberry.input(description="Changes to a webhook; absent fields stay as they are.")
class UpdateWebhookInput:
    url: str | None = strawberry.field(default=strawberry.UNSET, description="New target URL.")
    events: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="New event types."
    )
    filter: list[EventConditionInput] | None = strawberry.field(
        default=strawberry.UNSET, description="New conditions (an empty list: none)."
    )
    rotate_secret: bool = strawberry.field(
        default=False,
        description="Make a new signing secret (returned once, in the payload).",
    )
    active: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="Send deliveries or not; true re-activates a disabled webhook.",
    )
