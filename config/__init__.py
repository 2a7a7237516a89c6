"""Configuration: one frozen :class:`config.settings.Settings` built at each entry point."""
