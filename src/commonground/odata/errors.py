"""The one error the OData query parser raises.

A bad query option must reach the client as a 400 that says which option is wrong, where in
its text and what was expected, so that a person can fix the URL without reading our source.
The API layer maps the `InvalidQuery` code to that status; the message is already fit to show.
"""

from __future__ import annotations

from commonground.errors import TerminalError


class ODataQueryError(TerminalError):
    """A query option, key predicate or parameter alias that cannot be parsed or resolved.

    `detail` says what is wrong ("expected ')' but found 'eq'"), `position` is the 0-based
    offset in the option's text (None when the whole option is wrong), `option` names it.
    """

    code = "InvalidQuery"

    def __init__(self, detail: str, position: int | None = None, *, option: str = "") -> None:
        self.detail = detail
        self.position = position
        self.option = option
        text = f"{option}: {detail}" if option else detail
        if position is not None:
            text += f" at position {position}"
        super().__init__(text)
