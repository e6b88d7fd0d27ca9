# URL query parameters: /api/search?query=hello -> {"query": "hello"}
from notebook_routes import Response


def GET(request):
    search_params = request.next_url.search_params
    query = search_params.get("query")
    return Response.json({"query": query})
