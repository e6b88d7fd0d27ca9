# An LLM-style token stream: POST {"messages": [...]} and the reply arrives word by word.
import asyncio

from notebook_routes import Response


async def POST(request):
    body = await request.json()
    last = body["messages"][-1]["content"] if body.get("messages") else ""

    async def tokens():
        for word in f"You said: {last}".split(" "):
            yield word + " "
            await asyncio.sleep(0.05)

    return Response(tokens(), headers={"Content-Type": "text/plain; charset=utf-8"})
