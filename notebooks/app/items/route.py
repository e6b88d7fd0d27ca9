# Request body: POST JSON to /items -> {"res": <the JSON>}
from notebook_routes import Response


async def POST(request):
    res = await request.json()
    return Response.json({"res": res})
