"""The Hire endpoints' behaviour over the store, one module per endpoint, by the spec's operationId."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mockserver.hire import external_info, job_managers, site_users
from mockserver.hire.call import Call
from mockserver.storage import Store

Handler = Callable[[Store, Call], dict[str, Any]]

HANDLERS: dict[str, Handler] = {
    "create_website_site_user": site_users.create,
    "create_talent_external_info": external_info.create,
    "batch_update_job_manager": job_managers.batch_update,
}

__all__ = ["HANDLERS", "Call", "Handler"]
