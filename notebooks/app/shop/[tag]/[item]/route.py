# /shop/1/2 -> params {"tag": "1", "item": "2"}
from notebook_routes import Response


async def GET(request, context):
    return Response.json(dict(await context.params))
