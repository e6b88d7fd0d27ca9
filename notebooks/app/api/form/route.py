# Request body FormData: urlencoded or multipart -> {"name": ..., "email": ...}
from notebook_routes import Response


async def POST(request):
    form_data = await request.form_data()
    name = form_data.get("name")
    email = form_data.get("email")
    return Response.json({"name": name, "email": email})
