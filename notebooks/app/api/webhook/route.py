# Receiving a webhook: read the raw text, answer 400 with the reason if it cannot be read.
from notebook_routes import Response


async def POST(request):
    try:
        text = await request.text()
        if not text:
            raise ValueError("empty payload")
        # Process the webhook payload here.
    except Exception as error:
        return Response(f"Webhook error: {error}", status=400)
    return Response("Success!", status=200)
