// notebooks/app/api/cookies/set/route.py: NextResponse.cookies set and delete.
import { NextResponse } from 'next/server'

export async function GET(request) {
  const response = NextResponse.json({ ok: true })
  response.cookies.set('theme', 'dark', { httpOnly: true, sameSite: 'lax' })
  response.cookies.delete('old')
  return response
}
