"""Jinja2 templates that render `mu report`'s aggregation as SQL for a warehouse."""
