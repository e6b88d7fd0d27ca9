# The first example of the route.js page: GET /api/hello -> {"message":"Hello World"}
from notebook_routes import Response


async def GET():
    return Response.json({"message": "Hello World"})
