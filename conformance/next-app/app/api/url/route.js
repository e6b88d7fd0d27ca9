// notebooks/app/api/url/route.py: request.nextUrl, the parsed URL of the request.
export async function GET(request) {
  const url = request.nextUrl
  return Response.json({ pathname: url.pathname, search: url.search, url: request.url })
}
