// notebooks/app/(shop)/catalog/route.py: the (shop) group is not part of the URL.
export async function GET() {
  return Response.json({ catalog: ['hat', 'scarf'] })
}
