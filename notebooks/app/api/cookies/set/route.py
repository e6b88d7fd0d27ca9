# NextResponse.cookies: set and delete on the response object.
from notebook_routes import NextResponse


async def GET(request):
    response = NextResponse.json({"ok": True})
    response.cookies.set("theme", "dark", http_only=True, same_site="lax")
    response.cookies.delete("old")
    return response
