# new Headers(request.headers): a mutable copy of the read-only request headers.
from notebook_routes import Headers, Response


async def GET(request):
    request_headers = Headers(request.headers)
    request_headers.set("x-copied", "yes")
    return Response.json({name: request_headers.get(name) for name in request_headers})
