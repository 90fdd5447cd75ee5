"""Three tiny Federation 2 subgraphs the router tests compose: accounts, products, reviews.

- accounts owns ``User`` (@key id) and can resolve it from a representation.
- products owns ``Product`` (@key upc) and references ``User`` through a non-resolvable stub.
- reviews owns ``Review``, extends ``User`` and ``Product`` with ``reviews`` and has a union.

``Recorder`` counts how often each subgraph resolves references, so tests can prove batching.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, field, replace
from typing import Annotated, Any

import strawberry
import strawberry.federation as federation
from strawberry.federation.schema_directives import FieldSet, Key
from strawberry.types import Info

from router.composition import SubgraphSource
from router.execution import InProcessTransport, SubgraphRequest, SubgraphResponse, Transport


@dataclass
class Recorder:
    """What the fixture subgraphs were asked, for exact assertions in tests."""

    user_references: list[str] = field(default_factory=list)
    product_references: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.user_references.clear()
        self.product_references.clear()


RECORDER = Recorder()

USERS = {
    "u1": ("Ada", "ada@example.com"),
    "u2": ("Grace", "grace@example.com"),
}
PRODUCTS = {"p1": ("Keyboard", 120, "u1"), "p2": ("Mouse", 40, "u2")}
# id → (body, rating, author id, product upc)
REVIEWS = {
    "r1": ("Clicky", 5, "u1", "p1"),
    "r2": ("Loud", 2, "u1", "p1"),
    "r3": ("Smooth", 4, "u2", "p2"),
    "r-ghost": ("Who wrote this?", 1, "u-ghost", "p2"),
}


# --- accounts ---------------------------------------------------------------------------------


@federation.type(keys=["id"], description="A person who can sign in.")
class User:
    id: strawberry.ID = strawberry.field(description="Stable identifier.")
    name: str = strawberry.field(description="Display name.")
    email: str = strawberry.field(description="Sign-in address.")

    @strawberry.field(description="Always fails: the scoring service is down.")
    def risk_score(self) -> int | None:
        raise RuntimeError("scoring service down")

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User | None:
        RECORDER.user_references.append(str(id))
        found = USERS.get(str(id))
        return None if found is None else User(id=id, name=found[0], email=found[1])


def _user(user_id: str) -> User:
    name, email = USERS[user_id]
    return User(id=strawberry.ID(user_id), name=name, email=email)


@strawberry.type
class AccountsQuery:
    @strawberry.field(description="The signed-in user.")
    def me(self) -> User:
        return _user("u1")

    @strawberry.field(description="Everyone.")
    def users(self) -> list[User]:
        return [_user(user_id) for user_id in USERS]

    @strawberry.field(description="The authorization header the subgraph received.")
    def viewer_token(self, info: Info) -> str | None:
        return info.context["headers"].get("authorization")


@strawberry.type
class AccountsMutation:
    @strawberry.mutation(description="Rename a user.")
    def rename_user(self, id: strawberry.ID, name: str) -> User:
        return User(id=id, name=name, email=USERS[str(id)][1])


accounts_schema = federation.Schema(query=AccountsQuery, mutation=AccountsMutation, types=[User])


# --- products ---------------------------------------------------------------------------------


@federation.type(name="User", keys=[Key(fields=FieldSet("id"), resolvable=False)])
class UserStub:
    id: strawberry.ID


@federation.type(keys=["upc"], description="Something to buy.")
class Product:
    upc: str = strawberry.field(description="Universal product code.")
    name: str = strawberry.field(description="Product name.")
    price: int = strawberry.field(description="Price in cents.")
    creator_id: strawberry.Private[str]

    @strawberry.field(description="Who listed the product.")
    def created_by(self) -> UserStub:
        return UserStub(id=strawberry.ID(self.creator_id))

    @classmethod
    def resolve_reference(cls, upc: str) -> Product | None:
        RECORDER.product_references.append(upc)
        return _product(upc) if upc in PRODUCTS else None


def _product(upc: str) -> Product:
    name, price, creator = PRODUCTS[upc]
    return Product(upc=upc, name=name, price=price, creator_id=creator)


@strawberry.type
class ProductsQuery:
    @strawberry.field(description="Best sellers.")
    def top_products(self, first: int = 5) -> list[Product]:
        return [_product(upc) for upc in list(PRODUCTS)[:first]]


@strawberry.type
class ProductsMutation:
    @strawberry.mutation(description="List a product.")
    def create_product(self, upc: str, name: str) -> Product:
        return Product(upc=upc, name=name, price=0, creator_id="u1")


products_schema = federation.Schema(query=ProductsQuery, mutation=ProductsMutation)


# --- reviews ----------------------------------------------------------------------------------


@federation.type(keys=["id"], description="An opinion about a product.")
class Review:
    id: strawberry.ID
    body: str = strawberry.field(description="What the author wrote.")
    rating: int
    author_id: strawberry.Private[str]
    upc: strawberry.Private[str]

    @strawberry.field(description="Who wrote it.")
    def author(self) -> ReviewedUser:
        return ReviewedUser(id=strawberry.ID(self.author_id))

    @strawberry.field(description="What it is about.")
    def product(self) -> ReviewedProduct:
        return ReviewedProduct(upc=self.upc)


def _review(review_id: str) -> Review:
    body, rating, author, upc = REVIEWS[review_id]
    return Review(id=strawberry.ID(review_id), body=body, rating=rating, author_id=author, upc=upc)


@federation.type(name="User", keys=["id"])
class ReviewedUser:
    id: strawberry.ID

    @strawberry.field(description="Reviews the user wrote.")
    def reviews(self) -> list[Review]:
        return [_review(r) for r, row in REVIEWS.items() if row[2] == self.id]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> ReviewedUser:
        return ReviewedUser(id=id)


@federation.type(name="Product", keys=["upc"])
class ReviewedProduct:
    upc: str

    @strawberry.field(description="Reviews of the product.")
    def reviews(self) -> list[Review]:
        return [_review(r) for r, row in REVIEWS.items() if row[3] == self.upc]

    @classmethod
    def resolve_reference(cls, upc: str) -> ReviewedProduct:
        return ReviewedProduct(upc=upc)


FeedItem = Annotated[
    Review | ReviewedProduct, strawberry.union("FeedItem", description="A feed entry.")
]


@strawberry.type
class ReviewsQuery:
    @strawberry.field(description="Every review except the ghost's.")
    def reviews(self) -> list[Review]:
        return [_review(r) for r in ("r1", "r2", "r3")]

    @strawberry.field(description="One review.")
    def review(self, id: strawberry.ID) -> Review | None:
        return _review(str(id)) if str(id) in REVIEWS else None

    @strawberry.field(description="Reviews and products, mixed.")
    def feed(self) -> list[FeedItem]:
        return [_review("r1"), ReviewedProduct(upc="p2")]


@strawberry.type
class ReviewsMutation:
    @strawberry.mutation(description="Write a review.")
    def add_review(self, body: str, upc: str) -> Review:
        return Review(id=strawberry.ID("r-new"), body=body, rating=3, author_id="u1", upc=upc)


@strawberry.type
class ReviewsSubscription:
    @strawberry.subscription(description="New reviews as they are written.")
    async def review_added(self) -> AsyncGenerator[Review, None]:
        yield _review("r1")


reviews_schema = federation.Schema(
    query=ReviewsQuery, mutation=ReviewsMutation, subscription=ReviewsSubscription
)

SCHEMAS: dict[str, federation.Schema] = {
    "accounts": accounts_schema,
    "products": products_schema,
    "reviews": reviews_schema,
}


def sources(schemas: Mapping[str, federation.Schema] = SCHEMAS) -> list[SubgraphSource]:
    """The SDL each fixture subgraph (or each of ``schemas``) prints for
    ``{ _service { sdl } }``."""
    found = []
    for name, schema in schemas.items():
        result = schema.execute_sync("{ _service { sdl } }")
        assert result.data is not None, result.errors
        found.append(SubgraphSource(name, result.data["_service"]["sdl"]))
    return found


@dataclass
class RequestContext:
    """The opaque per-request context: only ``headers`` is read (by the HTTP transport)."""

    headers: dict[str, str] = field(default_factory=dict)


def in_process(schema: federation.Schema) -> InProcessTransport:
    """A transport running ``schema`` directly, with a context carrying the client headers."""

    async def execute(
        query: str, variables: dict[str, Any] | None, operation_name: str | None, context: object
    ) -> dict[str, Any]:
        headers = getattr(context, "headers", {})
        result = await schema.execute(
            query,
            variable_values=variables,
            operation_name=operation_name,
            context_value={"headers": headers},
        )
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [error.formatted for error in result.errors]
        return body

    return InProcessTransport(execute)


class CountingTransport:
    """Records every request sent through the wrapped transport.

    ``journal`` may be shared by several transports to see the order across subgraphs.
    """

    def __init__(
        self, name: str, inner: Transport, journal: list[tuple[str, SubgraphRequest]]
    ) -> None:
        self.name = name
        self.inner = inner
        self.journal = journal
        self.requests: list[SubgraphRequest] = []
        self.schema_checked = getattr(inner, "schema_checked", False)

    async def fetch(self, request: SubgraphRequest, context: object) -> SubgraphResponse:
        seen = _as_sent(request)
        self.requests.append(seen)
        self.journal.append((self.name, seen))
        return await self.inner.fetch(request, context)


def _as_sent(request: SubgraphRequest) -> SubgraphRequest:
    """``request`` as it was sent: its ``own`` variable is the subgraph's once sent (an
    in-process Strawberry pops ``__typename`` out of representations)."""
    if request.own is None or not request.variables or request.own not in request.variables:
        return request
    own = copy.deepcopy(request.variables[request.own])
    return replace(request, variables={**request.variables, request.own: own})


class BrokenTransport:
    """A transport whose subgraph is down: every call raises."""

    async def fetch(self, request: SubgraphRequest, context: object) -> SubgraphResponse:
        raise ConnectionError("subgraph is down")
