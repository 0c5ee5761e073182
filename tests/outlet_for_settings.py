"""An outlet module outside the package, for the settings tests (``ARCHIVE_OUTLET_MODULES``)."""

from dataclasses import replace

from crawler.outlets.baohatinh import PROFILE as NEAREST

PROFILE = replace(NEAREST, name="baothu", domain="baothu.example.vn", title="Báo Thử")
