"""Finding an outlet's articles: crawl windows, dates in URLs, feeds and listing pages."""
