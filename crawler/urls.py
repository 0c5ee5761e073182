"""URL canonicalisation: one story, one URL.

Applied before anything else (requests, dedup, storage): lower-case scheme and host, ``www.``
and ``m.`` mirrors folded onto the outlet's domain, tracking parameters dropped, fragments and
default ports removed, the remaining query sorted. w3lib does the RFC-level normalisation.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Query parameters that identify a campaign or a click, never a page.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "zarsrc",
        "zaloapp",
        "_hsenc",
        "_hsmi",
        "mc_cid",
        "mc_eid",
        "igshid",
        "ref",
        "ref_src",
        "gidzl",
        "__twitter_impression",
    }
)
TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "pk_", "mtm_", "at_")

_MIRROR_PREFIX = re.compile(r"^(?:www\d*|m|mobile|amp)\.")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_param(name: str) -> bool:
    """Whether a query parameter only tracks a click or a campaign."""
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def fold_host(host: str) -> str:
    """The host without a ``www.``/``m.``/``amp.`` mirror prefix, lower-case, no trailing dot."""
    host = host.lower().rstrip(".")
    return _MIRROR_PREFIX.sub("", host)


def canonicalize(url: str) -> str:
    """The canonical form of an absolute http(s) URL.

    >>> canonicalize("HTTPS://WWW.Baohatinh.vn:443/a-post1.html?utm_source=fb&fbclid=x#top")
    'https://baohatinh.vn/a-post1.html'
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url!r}")
    host = fold_host(parts.hostname or "")
    if not host:
        raise ValueError(f"URL has no host: {url!r}")
    port = parts.port
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not is_tracking_param(k)
        ]
    )
    rebuilt = urlunsplit((scheme, netloc, parts.path or "/", query, ""))
    # w3lib sorts the query and normalises percent-encoding (Vietnamese slugs included).
    return str(canonicalize_url(rebuilt, keep_fragments=False))


def same_site(url_a: str, url_b: str) -> bool:
    """Whether two URLs are on the same site once mirrors are folded."""
    host_a = fold_host(urlsplit(url_a).hostname or "")
    host_b = fold_host(urlsplit(url_b).hostname or "")
    return bool(host_a) and host_a == host_b
