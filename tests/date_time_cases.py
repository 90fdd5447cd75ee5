"""One list of DateTime cases for the two places that apply the rule: the subgraphs' scalar
(resolvers/scalars.py) and the router's check of scalars specified by RFC 3339
(router/composition/scalars.py), which may not import each other."""

from __future__ import annotations

# RFC 3339 date-times within years 1 to 9999 in UTC
VALID = (
    "2024-05-01T12:00:00Z",
    "2024-05-01t12:00:00z",
    "2024-05-01 12:00:00Z",  # RFC 3339 section 5.6 allows a space for readability
    "2024-05-01T12:00:00.123456+05:30",
    "2024-05-01T12:00:00-00:00",
    "0001-01-01T00:00:00Z",
    "0001-01-01T10:00:00+10:00",  # 0001-01-01T00:00:00Z
    "9999-12-31T23:59:59.999999Z",
    "9999-12-31T10:00:00-13:59",  # 9999-12-31T23:59:00Z
)

# value -> what the refusal says
INVALID = {
    "yesterday": "is not an RFC 3339 date-time",
    "": "is not an RFC 3339 date-time",
    "2024-05-01": "is not an RFC 3339 date-time",
    "2024-05-01T12:00:00": "is not an RFC 3339 date-time",  # no offset: which instant?
    "2024-05-01T12:00Z": "is not an RFC 3339 date-time",
    "20240501T120000Z": "is not an RFC 3339 date-time",
    "2024-02-30T00:00:00Z": "is not an RFC 3339 date-time",
    "2024-05-01T24:00:00Z": "is not an RFC 3339 date-time",
    "2016-12-31T23:59:60Z": "is not an RFC 3339 date-time",  # a leap second: no datetime holds it
    "2024-05-01T12:00:00+0530": "is not an RFC 3339 date-time",
    "9999-12-31T23:59:59-14:00": "is out of range",  # year 10000 in UTC
    "9999-12-31T23:59:59-00:01": "is out of range",
    "0001-01-01T00:00:00+14:00": "is out of range",  # year 0 in UTC
    "0001-01-01T00:00:00+00:01": "is out of range",
}

NOT_STRINGS = (1714564800, 17.5, True, ["2024-05-01T12:00:00Z"], {"at": "2024-05-01T12:00:00Z"})
