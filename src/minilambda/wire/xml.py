"""XML writing for the query and rest-xml protocols."""

from __future__ import annotations

import re
from typing import Any, Mapping
from xml.sax.saxutils import escape

# Characters XML 1.0 cannot carry at all (not even as references): shown as U+FFFD.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_value(tag: str, value: Any) -> str:
    """``<tag>value</tag>``; dicts nest, lists repeat ``<member>``, None is left out."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        inner = "".join(xml_value(k, v) for k, v in value.items())
        return f"<{tag}>{inner}</{tag}>"
    if isinstance(value, (list, tuple)):
        inner = "".join(xml_value("member", v) for v in value)
        return f"<{tag}>{inner}</{tag}>"
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{tag}>{escape(_NOT_XML.sub(chr(0xFFFD), str(value)))}</{tag}>"


def xml_map(tag: str, items: Mapping[str, Any]) -> str:
    """A query-protocol map: ``<tag><entry><key>k</key><value>v</value></entry>…</tag>``."""
    entries = "".join(f"<entry>{xml_value('key', k)}{xml_value('value', v)}</entry>" for k, v in items.items())
    return f"<{tag}>{entries}</{tag}>"
