# /blog/1/2 -> params {"slug": ["1", "2"]}; /blog alone is a 404 (a catch-all needs a segment)
from notebook_routes import Response


async def GET(request, context):
    return Response.json({"slug": context.params["slug"]})
