# Streaming with an async iterator: each chunk is flushed as it is produced.
import asyncio

from notebook_routes import Response


async def make_iterator():
    yield b"<p>One</p>"
    await asyncio.sleep(0.2)
    yield b"<p>Two</p>"
    await asyncio.sleep(0.2)
    yield b"<p>Three</p>"


async def GET():
    return Response(make_iterator())
