// notebooks/app/api/methods/route.py: every method but OPTIONS, each saying which one ran.
export async function GET(request) {
  return Response.json({ method: 'GET' })
}

export async function HEAD(request) {
  return new Response(null, { headers: { 'X-Method': 'HEAD' } })
}

export async function POST(request) {
  return Response.json({ method: 'POST' }, { status: 201 })
}

export async function PUT(request) {
  return Response.json({ method: 'PUT' })
}

export async function DELETE(request) {
  return new Response(null, { status: 204 })
}

export async function PATCH(request) {
  return Response.json({ method: 'PATCH' })
}
