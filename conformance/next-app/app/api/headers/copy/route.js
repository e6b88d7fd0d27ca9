// notebooks/app/api/headers/copy/route.py: new Headers(request.headers), a mutable copy.
export async function GET(request) {
  const requestHeaders = new Headers(request.headers)
  requestHeaders.set('x-copied', 'yes')
  const out = {}
  for (const name of requestHeaders.keys()) out[name] = requestHeaders.get(name)
  return Response.json(out)
}
