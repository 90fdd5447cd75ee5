"""The `node`/`nodes` operations the in-process and the split tests send."""

MISSING = "00000000-0000-4000-8000-000000000000"

NODE = """query($id: ID!) { node(id: $id) {
  __typename id
  ... on User { name teams { name } }
  ... on Team { name members { name } }
  ... on ConfigurationItem { name openIncidents { number } }
  ... on Incident { number team { name } problem { number } }
  ... on Problem { number title team { name } }
} }"""

NODES = """query($ids: [ID!]!) { nodes(ids: $ids) {
  __typename id
  ... on User { name }
  ... on Team { name }
  ... on ConfigurationItem { name }
  ... on Incident { title team { name } }
  ... on Problem { title team { name } }
} }"""
