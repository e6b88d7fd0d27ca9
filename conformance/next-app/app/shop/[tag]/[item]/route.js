// notebooks/app/shop/[tag]/[item]/route.py: /shop/1/2 -> {"tag": "1", "item": "2"}
export async function GET(request, { params }) {
  return Response.json({ ...(await params) })
}
