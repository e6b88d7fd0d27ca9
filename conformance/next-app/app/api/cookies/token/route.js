// notebooks/app/api/cookies/token/route.py: Set-Cookie header on a new Response.
import { cookies } from 'next/headers'

export async function GET(request) {
  const token = (await cookies()).get('token')
  const value = token ? token.value : ''
  return new Response('Hello, Next.js!', {
    status: 200,
    headers: { 'Set-Cookie': `token=${value}` },
  })
}
