// notebooks/app/blog/[...slug]/route.py: /blog/1/2 -> {"slug": ["1", "2"]}
export async function GET(request, { params }) {
  const { slug } = await params
  return Response.json({ slug })
}
