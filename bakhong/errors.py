"""Every exception bakhong raises, with its context as attributes.

Each subclasses :class:`BakhongError` and the builtin it resembles, so callers can catch
either. Messages are written for the analyst; the CLI prints them without a traceback.
"""

from __future__ import annotations


class BakhongError(Exception):
    """Base class of every bakhong error."""


class SourceError(BakhongError, ValueError):
    """A source file cannot be read as a result table.

    Attributes
    ----------
    path : the file
    cell : the cell or location where the problem was seen ("Sheet1!E15"), if any
    """

    def __init__(self, message: str, path: str = "", cell: str = "") -> None:
        self.path = path
        self.cell = cell
        where = f"{path}!{cell}" if cell else path
        super().__init__(f"{where}: {message}" if where else message)
        self.reason = message


class UnknownUnitError(BakhongError, KeyError):
    """A unit name that matches no unit of the reference list."""

    def __init__(self, name: str, candidates: list[str] | None = None) -> None:
        self.name = name
        self.candidates = candidates or []
        hint = f" — có phải: {', '.join(self.candidates)}?" if self.candidates else ""
        super().__init__(f"Không nhận ra đơn vị “{name}”{hint}")

    def __str__(self) -> str:  # KeyError quotes its argument otherwise
        return self.args[0]


class UnknownIndicatorError(BakhongError, KeyError):
    """An indicator code that is not in the catalog."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"Chỉ tiêu không có trong danh mục: {code}")

    def __str__(self) -> str:
        return self.args[0]


class UsageError(BakhongError, ValueError):
    """A command was called with arguments that do not fit."""


class DeliveryError(BakhongError, RuntimeError):
    """Email delivery cannot start: a bad configuration, no password, no manifest.

    Attributes
    ----------
    path : the file at fault (configuration, manifest or sent log), if any
    """

    def __init__(self, message: str, path: str = "") -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)
        self.reason = message
