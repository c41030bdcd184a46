"""Checks of request bodies that LINE validates itself, answering with LINE's error details."""
