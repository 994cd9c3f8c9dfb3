"""Call-logging verbs: replay, calls, callbacks, listen (filled in with the listener)."""


def register(sub, common) -> None:
    pass
