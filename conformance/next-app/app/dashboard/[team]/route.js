// notebooks/app/dashboard/[team]/route.py
export async function GET(request, { params }) {
  const { team } = await params
  return Response.json({ team })
}
