from enum import StrEnum


class UserIdType(StrEnum):
    OPEN_ID = "open_id"
    UNION_ID = "union_id"
    USER_ID = "user_id"

    def __str__(self) -> str:
        return str(self.value)
