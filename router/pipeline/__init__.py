"""A request's journey through the router, one stage per module, each handing the next what
it produced (none reaches back):

1. ``persisted`` — which document the request names: text, an APQ hash or a trusted
   document id, with the caller's safelist enforced;
2. ``document`` — parse (token-capped), the operation limits on its shape, validation; cached;
3. ``operation`` — the operation the request selects, and whether this transport allows it;
4. ``variables`` — the variables' size limits and their coercion;
5. ``cost`` — the cost limit, before the operation is normalised;
6. ``authorization`` — the normalised, guarded operation (cached) pruned of what the caller
   may not select, with an error for each pruned selection;
7. ``plan`` — the query plan of what remains (cached);
8. ``execute`` — running the plan and shaping the response;
9. ``response_cache`` — the response cache around execution: keys, epochs, invalidation.

``router.gateway`` chains them; ``errors`` and ``results`` hold what they hand on.
"""
