// notebooks/app/api/headers/route.py: headers() is read-only; echo the referer.
import { headers } from 'next/headers'

export async function GET(request) {
  const referer = (await headers()).get('referer')
  return new Response('Hello, Next.js!', { status: 200, headers: { referer: referer || '' } })
}
