"""Every labelled mutation of the corpus is classified as labelled, and the corpus covers the rules."""

from __future__ import annotations

import pytest

from feishu_hire_kit import specdiff
from tests.specdiff.corpus import Mutation, mutations

MUTATIONS = mutations()
# Rules the corpus does not exercise yet (each still has its check in feishu_hire_kit/specdiff).
NOT_IN_CORPUS: set[str] = set()


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.id for m in MUTATIONS])
def test_mutation_is_classified_as_labelled(mutation: Mutation) -> None:
    old = specdiff.from_raw(mutation.old, "old", validate=False)
    new = specdiff.from_raw(mutation.new, "new")  # the mutated spec is still valid OpenAPI
    changes = specdiff.diff(old, new)
    found = [c for c in changes if c.rule == mutation.rule]
    assert found, f"{mutation.rule} not reported; got:\n{specdiff.render_text(changes)}"
    assert {c.severity for c in found} == {mutation.severity}
    if mutation.operation != "*":
        assert mutation.operation in {c.operation for c in found}
    assert specdiff.is_breaking(changes) == (mutation.severity == "breaking"), specdiff.render_text(changes)
    assert all(c.location.startswith("/") or c.location == "" for c in changes)


def test_corpus_is_large_and_covers_both_severities() -> None:
    assert len(MUTATIONS) >= 40
    assert {m.severity for m in MUTATIONS} == {"breaking", "non-breaking"}
    assert len({m.id for m in MUTATIONS}) == len(MUTATIONS)


def test_corpus_covers_every_rule() -> None:
    covered = {m.rule for m in MUTATIONS}
    assert covered <= set(specdiff.RULES)
    assert set(specdiff.RULES) - covered == NOT_IN_CORPUS


def test_key_order_and_formatting_are_no_change() -> None:
    """The same spec written with sorted keys and another YAML style reports nothing."""
    import yaml

    from tests.specdiff.corpus import spec

    resorted = yaml.safe_load(yaml.safe_dump(spec(), sort_keys=True, default_flow_style=True))
    assert specdiff.diff(specdiff.from_raw(spec()), specdiff.from_raw(resorted)) == []
