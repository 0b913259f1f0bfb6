"""gitdesk: a helpdesk that lives in a Git repository."""

__version__ = "0.1.0"
