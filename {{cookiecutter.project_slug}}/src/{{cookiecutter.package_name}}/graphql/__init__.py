"""The GraphQL API at /api/v1/graphql: each domain's types, over that domain's services.

A domain keeps its types and fields in its own `graphql.py` (items/graphql.py,
users/graphql.py); schema.py joins them into one schema, and router.py serves it with the
same authentication, rate limits, request ids, logs and metrics as the REST routes.
"""
