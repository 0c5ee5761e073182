"""One spider per registered outlet, generated from its profile.

``scrapy list`` shows them; ``scrapy crawl baohatinh`` runs one. Nothing here is written per
outlet: adding an outlet profile adds its spider.
"""

from __future__ import annotations

from crawler.outlets import OutletProfile, all_profiles
from spiders.base import OutletSpider


def spider_class(profile: OutletProfile) -> type[OutletSpider]:
    """The spider class crawling ``profile``'s outlet, named after it."""
    class_name = "".join(part.capitalize() for part in profile.name.split("_")) + "Spider"
    return type(
        class_name,
        (OutletSpider,),
        {
            "name": profile.name,
            "profile": profile,
            "__doc__": f"Crawls {profile.title or profile.domain} ({profile.domain}).",
            "__module__": __name__,
        },
    )


OUTLET_SPIDERS: dict[str, type[OutletSpider]] = {p.name: spider_class(p) for p in all_profiles()}
"""Spider class by outlet name."""

# Scrapy's spider loader finds spider classes among a module's attributes.
globals().update({cls.__name__: cls for cls in OUTLET_SPIDERS.values()})
