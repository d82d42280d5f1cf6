"""A multi-tenant document workspace with three authorization models side by side.

RBAC (casbin, roles per organization), ABAC (casbin, attribute rules), ReBAC (a small
Zanzibar-style relation-tuple store in SQLite) and row-level filtering done in SQL.
"""
