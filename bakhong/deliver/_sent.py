"""The sent log, ``reports/<period>/sent.json``: what a server accepted, rewritten
atomically after each message, so that a re-run sends nothing twice."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..errors import DeliveryError


class SentLog:
    """``reports/<period>/sent.json``: every message a server accepted, rewritten atomically."""

    def __init__(self, path: Path, period: str) -> None:
        self.path = path
        self.period = period
        self.messages: list[dict[str, Any]] = []
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                self.messages = list(data["messages"])
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise DeliveryError(f"nhật ký gửi thư hỏng, không ghi đè ({exc}); sửa hoặc "
                                    "chuyển tệp đi rồi chạy lại", str(path)) from None

    def accepted(self, key: str) -> set[str]:
        """Addresses that already got the message ``key``."""
        return {addr.lower() for m in self.messages if m.get("key") == key
                for addr in m.get("accepted", [])}

    def record(self, entry: dict[str, Any]) -> None:
        self.messages.append(entry)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"period": self.period, "messages": self.messages},
                                  ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
