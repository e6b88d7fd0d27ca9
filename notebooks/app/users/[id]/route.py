# The RouteContext helper example: GET /users/7 -> {"id": "7"}
from notebook_routes import Response


async def GET(_req, ctx):
    params = await ctx.params
    return Response.json({"id": params["id"]})
