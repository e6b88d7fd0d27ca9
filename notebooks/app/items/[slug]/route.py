# /items/a -> {"slug": "a"} (the Next.js 14 style: context.params read directly)
from notebook_routes import Response


def GET(request, context):
    slug = context.params["slug"]  # 'a', 'b', or 'c'
    return Response.json({"slug": slug})
