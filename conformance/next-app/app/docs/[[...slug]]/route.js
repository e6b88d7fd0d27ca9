// notebooks/app/docs/[[...slug]]/route.py: /docs -> {} and /docs/a/b -> {"slug": ["a", "b"]}
export async function GET(request, { params }) {
  return Response.json({ ...(await params) })
}
