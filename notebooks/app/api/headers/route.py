# headers() from next/headers is read-only: echo the referer in a new Response.
from notebook_routes import Response, headers


async def GET(request):
    referer = headers().get("referer")
    return Response("Hello, Next.js!", status=200, headers={"referer": referer or ""})
