"""Source addresses of entries: the published blocklist of domains no entry may cite.

``data/corpus/blocked_domains.txt`` lists content farms, scrapers, link aggregators and similar
sites found by the corpus audit; a listed domain also blocks its subdomains.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse


def read_blocklist(path: str | Path) -> set[str]:
    """Domains, lower-case, from a file with one domain per line (``#`` starts a comment)."""
    out: set[str] = set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        domain = line.split("#", 1)[0].strip().lower()
        if domain:
            out.add(domain.removeprefix("www."))
    return out


def domain_of(url: str) -> str:
    return (urlparse(url).hostname or "").lower().removeprefix("www.")


def blocked_domain(url: str, blocked: set[str]) -> str | None:
    """The blocklisted domain ``url`` falls under (itself or a parent domain), or ``None``."""
    host = domain_of(url)
    parts = host.split(".")
    for i in range(len(parts) - 1):
        candidate = ".".join(parts[i:])
        if candidate in blocked:
            return candidate
    return None
