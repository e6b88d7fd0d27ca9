# cookies() from next/headers: read a, set b=1, delete c.
from notebook_routes import Response, cookies


async def GET(request):
    cookie_store = cookies()
    a = cookie_store.get("a")
    cookie_store.set("b", "1")
    cookie_store.delete("c")
    return Response.json({"a": a.value if a else None})
