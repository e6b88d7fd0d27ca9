# A non-UI response: an RSS feed at /rss.xml.
from notebook_routes import Response

FEED = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0">

<channel>
  <title>Next.js Documentation</title>
  <link>https://nextjs.org/docs</link>
  <description>The React Framework for the Web</description>
</channel>

</rss>"""


async def GET():
    return Response(FEED, headers={"Content-Type": "text/xml"})
