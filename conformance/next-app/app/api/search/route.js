// notebooks/app/api/search/route.py: /api/search?query=hello -> {"query": "hello"}
export function GET(request) {
  const searchParams = request.nextUrl.searchParams
  const query = searchParams.get('query')
  return Response.json({ query })
}
