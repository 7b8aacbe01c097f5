"""What every check writes to: both documents, the operation being compared, the changes found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from feishu_hire_kit.specdiff.changes import Change
from feishu_hire_kit.specdiff.loading import Document
from feishu_hire_kit.specdiff.rules import RULES

DESCRIPTIVE = ("summary", "description", "x-enum-descriptions")
EXAMPLES = ("example", "examples")


@dataclass
class Context:
    old: Document
    new: Document
    operation: str | None = None
    changes: list[Change] = field(default_factory=list)
    _seen: set[tuple[str, str | None, str, str]] = field(default_factory=set)

    def emit(self, rule: str, message: str, old: str | None = None, new: str | None = None) -> None:
        """Records a change by `rule` (a key of RULES) at the old and/or new location."""
        assert rule in RULES, rule
        location = new if new is not None else old
        assert location is not None
        key = (rule, self.operation, location, message)
        if key not in self._seen:
            self._seen.add(key)
            self.changes.append(Change(rule, self.operation, location, message, old, new))

    def notes(self, old: dict[str, Any], old_at: str, new: dict[str, Any], new_at: str, what: str) -> None:
        """Description and example changes of two nodes, so nothing that changes goes unreported."""
        for key in (*DESCRIPTIVE, *EXAMPLES):
            if old.get(key) != new.get(key):
                verb = "added" if key not in old else "removed" if key not in new else "changed"
                rule = "example-changed" if key in EXAMPLES else "description-changed"
                self.emit(
                    rule,
                    f"{what}: {key} {verb}",
                    f"{old_at}/{key}" if key in old else None,
                    f"{new_at}/{key}" if key in new else None,
                )


def display(value: Any) -> str:
    """A short text of a spec value for a message."""
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "..."
