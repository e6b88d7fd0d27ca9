# Setting a cookie with the Set-Cookie header of a new Response.
from notebook_routes import Response, cookies


async def GET(request):
    token = cookies().get("token")
    value = token.value if token else ""
    return Response("Hello, Next.js!", status=200, headers={"Set-Cookie": f"token={value}"})
