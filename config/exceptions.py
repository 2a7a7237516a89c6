"""Errors raised while loading configuration."""


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the environment variable."""
