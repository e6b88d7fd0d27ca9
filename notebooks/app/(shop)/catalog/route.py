# A route group: the (shop) folder is not part of the URL, so this answers /catalog.
from notebook_routes import Response


async def GET():
    return Response.json({"catalog": ["hat", "scarf"]})
