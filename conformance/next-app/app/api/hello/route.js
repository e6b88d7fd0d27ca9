// notebooks/app/api/hello/route.py
export async function GET() {
  return Response.json({ message: 'Hello World' })
}
