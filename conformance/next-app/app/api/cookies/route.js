// notebooks/app/api/cookies/route.py: cookies() from next/headers: read a, set b=1, delete c.
import { cookies } from 'next/headers'

export async function GET(request) {
  const cookieStore = await cookies()
  const a = cookieStore.get('a')
  cookieStore.set('b', '1')
  cookieStore.delete('c')
  return Response.json({ a: a ? a.value : null })
}
