"""Reading sbcd's CDR lines (JSON, one per ended call) for the lab's checks and the demo."""

from dataclasses import dataclass
from typing import Dict, Optional

from .procs import LabError


@dataclass
class MediaCounts:
    caller_to_callee: int     # RTP packets the dataplane took from the caller's side
    callee_to_caller: int
    caller_to_callee_dropped: int
    callee_to_caller_dropped: int
    caller_latched: Optional[str]
    callee_latched: Optional[str]


def media_from_cdr(record: Dict) -> Optional[MediaCounts]:
    """The per-direction RTP counters of a CDR, or None if it has no media (e.g. not answered).

    CDR shape (controlplane/b2bua/call_cdr.cc):
      "media": {"caller_to_callee": {"rtp": {"packets", "bytes", "dropped", "latched"}, "rtcp"},
                "callee_to_caller": {...}} or null
    """
    media = record.get("media")
    if media is None:
        return None
    try:
        a = media["caller_to_callee"]["rtp"]
        b = media["callee_to_caller"]["rtp"]
        return MediaCounts(int(a["packets"]), int(b["packets"]), int(a.get("dropped", 0)),
                           int(b.get("dropped", 0)), a.get("latched"), b.get("latched"))
    except (KeyError, TypeError, ValueError) as e:
        raise LabError(f"CDR media has an unexpected shape ({e!r}): {media}") from e
