# redirect() from next/navigation: 307 to the given URL.
from notebook_routes import redirect


async def GET(request):
    redirect("https://nextjs.org/")
