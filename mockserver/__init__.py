"""A mock of the Feishu (Lark) Hire open API for tests: `create_app(MockConfig(...))` builds it."""

from mockserver.app import create_app
from mockserver.config import MockConfig

__all__ = ["MockConfig", "create_app"]
