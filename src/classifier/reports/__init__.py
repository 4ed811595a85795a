"""Reports rendered from their data with Jinja2 templates (``templates/``): Markdown for
reading and diffing, self-contained HTML (plots embedded) for browsing, JSON for machines."""
