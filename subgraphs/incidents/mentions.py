"""@mentions in comment bodies.

A mention is written `@[Display name](user-id)`: the markup of react-mentions and of most
rich-text editors' mention plugins, which insert it when the writer picks a user from a
list. It carries the user's id, so the incidents domain never reads identity's tables: the
ids are checked with the identity domain like any other stored reference (one entity fetch
through the router, in-process or split). The display name is what readers see and is not
checked. An `@` not followed by this markup (an e-mail address, `@alice`) is plain text.
No Strawberry here."""

from __future__ import annotations

import re
import uuid

from resolvers.errors import BadUserInput

MENTION = re.compile(
    r"@\[(?P<name>[^\[\]\n]{1,200})\]\((?P<id>[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-"
    r"[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\)"
)
MENTIONS_MAX = 50


def mentioned(body: str, argument: str = "input.body") -> list[uuid.UUID]:
    """The distinct user ids `body` mentions, in order of first mention; BAD_USER_INPUT
    naming `argument` beyond MENTIONS_MAX distinct users."""
    ids = list(dict.fromkeys(uuid.UUID(match["id"]) for match in MENTION.finditer(body)))
    if len(ids) > MENTIONS_MAX:
        raise BadUserInput(
            f"{argument}: at most {MENTIONS_MAX} distinct users may be mentioned", field=argument
        )
    return ids


def arguments(ids: list[uuid.UUID], argument: str = "input.body") -> dict[str, uuid.UUID]:
    """The ids by a name for the reference check (`input.body.mentions[0]` ...)."""
    return {f"{argument}.mentions[{index}]": id for index, id in enumerate(ids)}
