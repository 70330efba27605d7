"""The panels of the operations screen; each renders one part from a :class:`dashboard.panels.context.Context`."""
