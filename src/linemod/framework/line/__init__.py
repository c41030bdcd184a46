"""Talking to LINE: the tenant-bound client, the module channel access token, chat control."""
