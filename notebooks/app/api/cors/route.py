# CORS headers on one route handler.
from notebook_routes import Response


async def GET(request):
    return Response(
        "Hello, Next.js!",
        status=200,
        headers={
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type, Authorization",
        },
    )
