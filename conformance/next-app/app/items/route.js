// notebooks/app/items/route.py: POST JSON to /items -> {"res": <the JSON>}
export async function POST(request) {
  const res = await request.json()
  return Response.json({ res })
}
