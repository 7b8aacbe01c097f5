from enum import IntEnum


class UpdateOption(IntEnum):
    RECRUITER = 1
    ASSISTANT = 2
    HIRING_MANAGER = 3

    def __str__(self) -> str:
        return str(self.value)
