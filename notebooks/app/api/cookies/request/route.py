# Reading cookies from the NextRequest itself.
from notebook_routes import Response


async def GET(request):
    token = request.cookies.get("token")
    return Response.json({"token": token.value if token else None})
