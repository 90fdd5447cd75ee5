"""Authentication: bearer JWTs validated against an OIDC issuer's keys (or OpsGraph's own
development issuer), turned into the request's principal."""
