"""Test-only: crawl with outlet profiles as they were before a (simulated) template change.

Put this directory on ``PYTHONPATH`` of a ``crawler`` subprocess: Python imports
``sitecustomize`` at start-up, before the outlet registry is loaded, and this swaps two
profiles for deliberately wrong ones:

* ``baohatinh`` — body selector matching nothing and every paragraph pruned, so the pages
  fail to extract ("no body found"), as after a template change the profile doesn't know;
* ``baonghean`` — sapo selector matching the headline and no dateline markers, so the
  articles are stored with a wrong lead (the headline again). (A sapo selector matching
  nothing is no longer a degradation: the extractor then finds the element showing the
  page's description.)
"""

import dataclasses

import crawler.outlets.baohatinh as _baohatinh
import crawler.outlets.baonghean as _baonghean

_ht = _baohatinh.PROFILE
_baohatinh.PROFILE = dataclasses.replace(
    _ht,
    template=dataclasses.replace(
        _ht.template, body=("div.no-such-body",), prune=(*_ht.template.prune, "body")
    ),
)
_na = _baonghean.PROFILE
_baonghean.PROFILE = dataclasses.replace(
    _na,
    dateline_markers=(),
    template=dataclasses.replace(_na.template, sapo=("h1",)),
)
