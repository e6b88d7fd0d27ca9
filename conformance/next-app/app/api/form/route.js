// notebooks/app/api/form/route.py: urlencoded or multipart -> {"name": ..., "email": ...}
export async function POST(request) {
  const formData = await request.formData()
  const name = formData.get('name')
  const email = formData.get('email')
  return Response.json({ name, email })
}
