// notebooks/app/api/webhook/route.py: read the raw text; 400 with the reason if unusable.
export async function POST(request) {
  try {
    const text = await request.text()
    if (!text) throw new Error('empty payload')
    // Process the webhook payload here.
  } catch (error) {
    return new Response(`Webhook error: ${error.message}`, { status: 400 })
  }
  return new Response('Success!', { status: 200 })
}
