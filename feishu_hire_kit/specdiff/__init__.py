"""What a spec change means for code using the generated client: every change, breaking or not.

    >>> from feishu_hire_kit import specdiff
    >>> changes = specdiff.diff(specdiff.load("HEAD:spec/hire.yaml"), specdiff.load("spec/hire.yaml"))
    >>> print(specdiff.render_text(changes))

`load` reads a file or `REV:PATH` from git and checks it is OpenAPI (`SpecLoadError` otherwise);
`diff` pairs the operations, walks parameters and request bodies in the request direction and responses
in the response direction (following `$ref`, `allOf`, `oneOf`, `anyOf`, `items`,
`additionalProperties`), applies the kit's `x-feishu-*` rules and the code table, compares the Python
model names, and finally reports any difference no rule covered. The rules and their severities are
one table, `rules.RULES`.
"""

from __future__ import annotations

from feishu_hire_kit.specdiff import document, extensions, operations
from feishu_hire_kit.specdiff.changes import Change, is_breaking
from feishu_hire_kit.specdiff.context import Context
from feishu_hire_kit.specdiff.loading import Document, SpecLoadError, load
from feishu_hire_kit.specdiff.loading import document as from_raw
from feishu_hire_kit.specdiff.report import next_version, render_json, render_markdown, render_text
from feishu_hire_kit.specdiff.rules import RULES, Rule

__all__ = [
    "RULES",
    "Change",
    "Document",
    "Rule",
    "SpecLoadError",
    "diff",
    "from_raw",
    "is_breaking",
    "load",
    "next_version",
    "render_json",
    "render_markdown",
    "render_text",
]


def diff(old: Document, new: Document) -> list[Change]:
    """Every change from `old` to `new`, in the order found (the renderers sort them)."""
    ctx = Context(old, new)
    operations.compare_all(ctx)
    extensions.compare_codes(ctx)
    document.compare_models(ctx)
    document.compare_info(ctx)
    document.report_unclassified(ctx)
    return ctx.changes
