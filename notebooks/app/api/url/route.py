# request.next_url: the parsed URL of the request.
from notebook_routes import Response


async def GET(request):
    url = request.next_url
    return Response.json({"pathname": url.pathname, "search": url.search, "url": request.url})
