"""Extra configuration merged into the files the lab writes (sbc.conf, dataplane.conf).

A test states what it needs as {section: {key: value}}; the lab's own configuration stays the
base. A value replaces every line of that key in the section; a list (or tuple) writes the key
once per item (repeated keys, e.g. acl_allow); None removes the key. Sections not in the base are
appended. Booleans are written as true/false, numbers as written by str().
"""

import re
from typing import Dict, List, Mapping, Optional, Sequence, Union

Value = Union[str, int, float, bool, None, Sequence[Union[str, int, float]]]
Extra = Mapping[str, Mapping[str, Value]]

_SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*(?:[;#].*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*=")


def _lines_for(key: str, value: Value) -> List[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [f"{key} = {_text(v)}" for v in value]
    return [f"{key} = {_text(value)}"]


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if "\n" in text or "\r" in text:
        raise ValueError(f"configuration value with a line break: {text!r}")
    return text


def merge_ini(base: str, extra: Optional[Extra]) -> str:
    """`base` with `extra` merged in (see the module text). Comments and order are kept."""
    if not extra:
        return base
    for section, keys in extra.items():
        for key in keys:
            if not _KEY.match(f"{key} ="):
                raise ValueError(f"invalid configuration key {key!r} in [{section}]")
    pending: Dict[str, Dict[str, Value]] = {s: dict(k) for s, k in extra.items()}
    written: Dict[str, set] = {}  # keys already rewritten in place, per section
    out: List[str] = []
    current: Optional[str] = None

    def flush(section: Optional[str]) -> None:
        # Keys of `section` not present in the base go at its end (before trailing blank lines).
        if section is None or section not in pending:
            return
        trailing = []
        while out and not out[-1].strip():
            trailing.append(out.pop())
        done = written.get(section, set())
        for key, value in pending.pop(section).items():
            if key not in done:
                out.extend(_lines_for(key, value))
        out.extend(reversed(trailing))

    for line in base.splitlines():
        m = _SECTION.match(line)
        if m:
            flush(current)
            current = m.group(1).strip()
            out.append(line)
            continue
        k = _KEY.match(line)
        if current in pending and k and k.group(1) in pending[current]:
            key = k.group(1)
            seen = written.setdefault(current, set())
            if key not in seen:  # the first line of the key becomes the new value(s)
                out.extend(_lines_for(key, pending[current][key]))
                seen.add(key)
            continue
        out.append(line)
    flush(current)
    for section, keys in pending.items():  # sections the base does not have
        out.append("")
        out.append(f"[{section}]")
        for key, value in keys.items():
            out.extend(_lines_for(key, value))
    return "\n".join(out) + "\n"
