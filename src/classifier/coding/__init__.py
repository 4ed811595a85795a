"""Coder workflow: coding sheets in the tools coders use, and the human-coding kit."""
