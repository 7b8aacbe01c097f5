"""A client library for accessing Feishu Hire API (site users, talent external info, job managers)"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)
