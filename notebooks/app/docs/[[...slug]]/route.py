# An optional catch-all: /docs -> {} and /docs/a/b -> {"slug": ["a", "b"]}
from notebook_routes import Response


async def GET(request, context):
    return Response.json(dict(context.params))
