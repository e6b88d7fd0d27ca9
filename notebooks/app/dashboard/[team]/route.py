# /dashboard/1 -> params {"team": "1"} (the Next.js 15+ style: await context.params)
from notebook_routes import Response


async def GET(request, context):
    params = await context.params
    return Response.json({"team": params["team"]})
