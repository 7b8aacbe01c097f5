"""The JSON the mock writes (`mockserver.json_text`): compact, characters as they are, and every value
written, including those orjson refuses."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mockserver import json_text
from mockserver.pytest_plugin import InProcessMock
from mockserver.runtime import EXTENSION, Runtime
from mockserver.seed import WEBSITE_ID
from tests.mockserver.helpers import SITE_USERS, bearer, body

# Any JSON a body can carry: no infinity or NaN (refused when read), integers of any size, any text.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def test_compact_with_characters_as_they_are() -> None:
    value = {"name": "张三", "list": [1, 2.5, None, True], "quote": 'a"b'}
    assert json_text.encode(value) == '{"name":"张三","list":[1,2.5,null,true],"quote":"a\\"b"}'.encode()
    assert json_text.dumps(value) == json_text.encode(value).decode()


def test_what_orjson_refuses_is_written_by_the_standard_library() -> None:
    assert json_text.dumps({"id": 2**70}) == '{"id":1180591620717411303424}'  # beyond 64 bits
    assert json_text.dumps({1: "x"}) == '{"1":"x"}'  # a key that is not a string
    assert json_text.encode({"id": -(2**64)}) == b'{"id":-18446744073709551616}'


@given(JSON_VALUES)
def test_every_value_reads_back_as_it_was(value: Any) -> None:
    assert json.loads(json_text.dumps(value)) == value
    assert json.loads(json_text.encode(value)) == value


def test_an_extra_field_beyond_64_bits_is_stored_exactly(feishu_mock: InProcessMock) -> None:
    raw = b'{"external_id": "big-extra", "name": "x", "extra": 123456789012345678901234567890}'
    with feishu_mock.client() as client:
        answer = body(client.post(SITE_USERS, content=raw, headers=bearer(client)))
        assert answer["code"] == 0
        again = body(client.post(SITE_USERS, content=raw, headers=bearer(client)))  # from the store
    assert again["data"]["site_user"] == answer["data"]["site_user"]
    runtime: Runtime = feishu_mock.app.extensions[EXTENSION]
    stored = runtime.store.read().record("site_user", "sandbox", WEBSITE_ID, "big-extra")
    assert stored is not None
    assert stored["extra"] == 123456789012345678901234567890
