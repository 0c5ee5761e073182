"""Nothing goes further than the archive: a response without its WARC record is dropped.

:class:`crawler.archive.extension.WarcArchive` archives every response when it is
downloaded; when that write fails (a full disk, a read-only file system) it marks the request
(:data:`NOT_ARCHIVED_META_KEY`). This downloader middleware, first in line for responses,
then drops the response with :class:`NotArchived`, so no article is ever stored whose raw
page is not in the archive; the request's errback sees the error and the URL stays due in the
ledger (it is not a fault of the page, so it is not counted a failed fetch of it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.http import Response

NOT_ARCHIVED_META_KEY = "warc_error"
"""``request.meta`` key set (to the error text) when the response could not be archived."""

PRIORITY = 990
"""Position in ``DOWNLOADER_MIDDLEWARES``: ``process_response`` runs from the highest number
down, so at 990 it sees every response first (redirects included), before anything acts on
it."""


class NotArchived(IgnoreRequest):
    """The response could not be written to the WARC archive, so it is not used."""


class ArchivedOnlyMiddleware:
    """Drops responses the WARC archive could not keep (see the module docstring)."""

    def process_response(self, request: Request, response: Response) -> Response:
        """Pass the response on only if it was archived."""
        error = request.meta.get(NOT_ARCHIVED_META_KEY)
        if error:
            raise NotArchived(f"not archived ({error}): {response.url}")
        return response
