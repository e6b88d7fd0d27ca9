// notebooks/app/api/cookies/request/route.py: reading cookies from the NextRequest itself.
export async function GET(request) {
  const token = request.cookies.get('token')
  return Response.json({ token: token ? token.value : null })
}
