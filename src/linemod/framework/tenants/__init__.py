"""Tenants (the OAs the module is attached to): the store and its lifecycle rules, the known-tenant
cache, and the OAuth attach flow with its pages."""
