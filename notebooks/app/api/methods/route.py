# Every supported method, each saying which one ran. OPTIONS is left out on purpose:
# Next.js (and notebook-routes) then answers it with 204 and an Allow header.
from notebook_routes import Response


async def GET(request):
    return Response.json({"method": "GET"})


async def HEAD(request):
    return Response(headers={"X-Method": "HEAD"})


async def POST(request):
    return Response.json({"method": "POST"}, status=201)


async def PUT(request):
    return Response.json({"method": "PUT"})


async def DELETE(request):
    return Response(status=204)


async def PATCH(request):
    return Response.json({"method": "PATCH"})
